/* objlife-use-after-put: a pointer read after objlife_put(), after a _put from OBJLIFE_DEFINE_REF_FUNCS, and after objlife_steal() is reported, with the put as its note */
#include <objlife/cleanup.h>

struct session {
	struct objlife ref;
	int id;
};
OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);

int last_id(struct session *s);
int last_id(struct session *s)
{
	objlife_put(&s->ref); /* expect-note */
	return s->id; /* expect: objlife-use-after-put */
}

int drop(struct session *s);
int drop(struct session *s)
{
	session_put(s); /* expect-note */
	return s->id; /* expect: objlife-use-after-put */
}

struct session *hand_out(struct session *from);
struct session *hand_out(struct session *from)
{
	struct session *s objlife_auto(session_put) = session_get(from);
	struct session *out = objlife_steal(s); /* expect-note */

	out->id = s->id; /* expect: objlife-use-after-put */
	return out;
}

int maybe(struct session *s, int done);
int maybe(struct session *s, int done)
{
	if (done)
		session_put(s); /* expect-note */
	return s->id; /* expect: objlife-use-after-put */
}
