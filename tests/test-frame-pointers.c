/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library keeps frame pointers, so that the fast unwinders of
 * LeakSanitizer, AddressSanitizer and perf, which follow the chain of
 * saved frame pointers, walk through its frames to the code that called
 * it: a leaked object's stack names the function that allocated it, not
 * only ol_mem_alloc().
 *
 * The check is that unwinder's walk, done by hand from inside the library,
 * on both of its allocation paths: a type's ops->alloc, called by the
 * library's general path, and the init of a type on the default
 * allocator, called by its common path (the frames malloc() sees there)
 * follow the chain from their own frame and must reach the frame of the
 * function that called objlife_alloc(). This program is built with frame
 * pointers itself.
 */
#include "testutil.h"

static void *caller_frame;   /* the frame the walk must reach */
static bool reached;

static struct objlife *allocating_caller(const struct objlife_ops *ops);

/* Up to 16 frames: the library has 2 or 3 between ops->alloc and its
 * caller. A saved frame pointer always lies above the frame that saved
 * it, on the same stack. Each frame record is the caller's frame pointer
 * and then the return address into the caller (x86, aarch64), so the
 * record that leads to the caller's frame must also hold a return address
 * into allocating_caller(), a few bytes into this program: a library
 * function without a frame of its own, which leaves the register alone,
 * would pass the frames but lose that return address. */
static void walk_from_here(void)
{
	void **fp = __builtin_frame_address(0);
	unsigned i;

	for (i = 0; i < 16 && fp; i++) {
		void **up = (void **)fp[0];

		if ((void *)up == caller_frame) {
			uintptr_t ret = (uintptr_t)fp[1], fn = (uintptr_t)allocating_caller;

			reached = ret > fn && ret - fn < 4096;
			return;
		}
		if (up <= fp || (char *)up - (char *)fp > (1 << 20))
			return;
		fp = up;
	}
}

static void *walking_alloc(const struct objlife_ops *ops, size_t size, size_t align)
{
	(void)ops;
	walk_from_here();
	return tu_zalloc(size, align);
}

static void walking_free(const struct objlife_ops *ops, void *mem, size_t size)
{
	(void)ops;
	(void)size;
	free(mem);
}

static const struct objlife_ops walking_ops = {
	.name = "walking", .alloc = walking_alloc, .free = walking_free,
};

/* The common path: the default allocator, no cache, no diagnostics. */
static int walking_init(struct objlife *obj, void *arg)
{
	(void)obj;
	(void)arg;
	walk_from_here();
	return 0;
}

static const struct objlife_ops walking_init_ops = { .name = "walking-init", .init = walking_init };

static __attribute__((noinline)) struct objlife *allocating_caller(const struct objlife_ops *ops)
{
	struct objlife *obj;

	caller_frame = __builtin_frame_address(0);
	obj = objlife_alloc_size(ops, 32, 8, NULL);
	/* Not a tail call: this frame stays while the library runs. */
	__asm__ volatile("" ::: "memory");
	return obj;
}

static void test_unwinding_through_the_library_reaches_the_caller(void)
{
	struct objlife *obj;

	reached = false;
	obj = allocating_caller(&walking_ops);
	g_assert_nonnull(obj);
	g_assert_true(reached);
	objlife_put(obj);
}

static void test_unwinding_through_the_common_path_reaches_the_caller(void)
{
	struct objlife *obj;

	/* Twice: the type's first object on the thread takes the general
	 * path; the second the common one. */
	obj = allocating_caller(&walking_init_ops);
	g_assert_nonnull(obj);
	objlife_put(obj);
	reached = false;
	obj = allocating_caller(&walking_init_ops);
	g_assert_nonnull(obj);
	g_assert_true(reached);
	objlife_put(obj);
}

int main(int argc, char **argv)
{
	/* Diagnostics send every allocation down the general path, and the
	 * second case is about the common one. */
	unsetenv("OBJLIFE_DEBUG");
	g_test_init(&argc, &argv, NULL);
#if defined(OBJLIFE_TEST_FRAME_POINTERS) && \
	(defined(__x86_64__) || defined(__i386__) || defined(__aarch64__))
	g_test_add_func("/frame-pointers/unwinding-through-the-library-reaches-the-caller",
			test_unwinding_through_the_library_reaches_the_caller);
	g_test_add_func("/frame-pointers/unwinding-through-the-common-path-reaches-the-caller",
			test_unwinding_through_the_common_path_reaches_the_caller);
#else
	/* Where configure built the library without frame pointers
	 * (--disable-frame-pointers, or a compiler without the flag), or on
	 * an architecture whose frame records this walk does not know. */
	g_test_message("not registered: the library has no frame pointers here, or this walk "
		       "does not know the architecture's frame records");
	(void)test_unwinding_through_the_library_reaches_the_caller;
	(void)test_unwinding_through_the_common_path_reaches_the_caller;
#endif
	return g_test_run();
}
