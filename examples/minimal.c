/* The README's example: a type with init and release, alloc, get, put. */
#include <errno.h>
#include <objlife.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct session {
	struct objlife ref;            /* first member: objlife_alloc checks */
	char *peer;
};

static int session_init(struct objlife *obj, void *arg)
{
	struct session *s = (struct session *)obj;

	s->peer = strdup(arg);
	return s->peer ? 0 : -ENOMEM;  /* on failure: freed, release not called */
}

static void session_release(struct objlife *obj)
{
	struct session *s = (struct session *)obj;

	printf("release %s\n", s->peer);
	free(s->peer);                 /* undo init; the core frees s */
}

static const struct objlife_ops session_ops = {
	.name = "session", .init = session_init, .release = session_release,
};

int main(void)
{
	struct session *s = objlife_alloc(struct session, ref, &session_ops, "10.0.0.7");

	if (!s)
		return perror("objlife_alloc"), 1;
	objlife_get(&s->ref);          /* a second holder */
	objlife_put(&s->ref);          /* ... lets go */
	printf("live sessions: %zu\n", objlife_live_count(&session_ops));
	objlife_put(&s->ref);          /* the last put runs release, then frees */
	return objlife_live_count(&session_ops) != 0;
}
