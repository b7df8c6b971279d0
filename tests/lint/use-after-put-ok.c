/* objlife-use-after-put: a put on a path that returns, a put followed by a new value, and a put as the last use are clean */
#include <objlife/cleanup.h>

struct session {
	struct objlife ref;
	int id;
};
OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);
struct session *session_find(int id);

int check(struct session *s);
int check(struct session *s)
{
	if (s->id < 0) {
		session_put(s);
		return -1;
	}
	return s->id;
}

int replace(struct session *s);
int replace(struct session *s)
{
	objlife_put(&s->ref);
	s = session_find(1);
	return s ? s->id : -1;
}

int finish(struct session *s);
int finish(struct session *s)
{
	int id = s->id;

	session_put(s);
	return id;
}

struct session *hand_out(struct session *from);
struct session *hand_out(struct session *from)
{
	struct session *s objlife_auto(session_put) = session_get(from);

	s->id++;
	objlife_return_ptr(s);
}
