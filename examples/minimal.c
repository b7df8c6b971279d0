#include <errno.h>
#include <objlife.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct session {
	struct objlife ref;                 /* first member: objlife_alloc() checks */
	char *peer;
};

static int session_init(struct objlife *obj, void *peer)
{
	struct session *s = (struct session *)obj;

	s->peer = strdup(peer);             /* on failure the core frees s, no release */
	return s->peer ? 0 : -ENOMEM;
}

static void session_release(struct objlife *obj)
{
	free(((struct session *)obj)->peer); /* undo init; the core frees s after */
}

static const struct objlife_ops session_ops = {
	.name = "session", .init = session_init, .release = session_release,
};

int main(void)
{
	struct session *s = objlife_alloc(struct session, ref, &session_ops, "10.0.0.7");

	if (!s)
		return perror("objlife_alloc"), 1;
	objlife_get(&s->ref);               /* a second holder ... */
	objlife_put(&s->ref);               /* ... lets go */
	printf("%s: %zu live\n", s->peer, objlife_live_count(&session_ops));
	objlife_put(&s->ref);               /* the last put: release, then free */
	return objlife_live_count(&session_ops) != 0;
}
