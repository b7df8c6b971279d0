// SPDX-License-Identifier: LGPL-2.1-or-later
// A C++ consumer, built by make installcheck with nothing but
// `pkg-config --cflags --libs objlife`: the installed <objlife.h> and
// <objlife/cleanup.h> compile as C++, and the library links and runs.
#include <objlife.h>
#include <objlife/cleanup.h>

#include <cerrno>
#include <cstdio>
#include <string>

namespace {

struct widget {
	struct objlife ref;     // first member, as objlife_alloc() checks
	std::string *label;
};

int released;

int widget_init(struct objlife *obj, void *arg)
{
	auto *w = reinterpret_cast<widget *>(obj);

	w->label = new (std::nothrow) std::string(static_cast<const char *>(arg));
	return w->label ? 0 : -ENOMEM;
}

void widget_release(struct objlife *obj)
{
	delete reinterpret_cast<widget *>(obj)->label;
	released++;
}

const struct objlife_ops widget_ops = {
	"widget", widget_init, widget_release, nullptr, nullptr, 0,
};

pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

}  // namespace

OBJLIFE_DEFINE_REF_FUNCS(widget, widget, ref);

int main()
{
	widget *w = objlife_alloc(widget, ref, &widget_ops, const_cast<char *>("knob"));

	if (!w || *w->label != "knob" || objlife_refcount(&w->ref) != 1)
		return 1;
	{
		widget *again objlife_auto(widget_put) = widget_get(w);
		objlife_guard(mutex)(&lock);
		if (objlife_refcount(&again->ref) != 2)
			return 1;
	}
	widget_put(w);
	if (released != 1 || objlife_live_count(&widget_ops) != 0)
		return 1;
	std::puts("consumer-c++: ok");
	return 0;
}
