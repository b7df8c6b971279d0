/* objlife-use-after-put: a put balanced by an earlier get, a put inside an objlife_ref guard's scope, and a put of another object reached through the pointer are clean */
#include <objlife/cleanup.h>

struct session {
	struct objlife ref;
	struct session *parent;
	int id;
};
OBJLIFE_DEFINE_REF_FUNCS(session, struct session, ref);

int balanced(struct session *s);
int balanced(struct session *s)
{
	session_get(s);
	session_put(s);
	return s->id;
}

int guarded(struct session *s);
int guarded(struct session *s)
{
	objlife_scoped_guard(objlife_ref, &s->ref) {
		objlife_put(&s->ref);
		return s->id;
	}
}

int parent_dropped(struct session *s);
int parent_dropped(struct session *s)
{
	objlife_put(&s->parent->ref);
	s->parent = NULL;
	return s->id;
}
