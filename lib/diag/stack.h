/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stack.c's interface: stacks captured cheaply at every allocation and
 * tracked reference, stored once however often they recur (the depot).
 */
#ifndef OBJLIFE_STACK_H
#define OBJLIFE_STACK_H

#include "objlife-private.h"
#include "addrmap.h"

#define OL_STACK_DEPTH 16   /* frames kept per stack */

/* An interned stack: immutable once made and freed only at the process's
 * exit, once nothing points to it (ol_stack_exit()), so a pointer to
 * one may be kept anywhere, copied without a lock, and compared for
 * equality (equal pointers, equal stacks). frames[0] is the innermost
 * user frame: the return address into the code that called the library. */
struct ol_stack {
	struct ol_anode node;           /* in the depot; key: the frames' hash */
	struct ol_stack *collide;       /* other stacks of the same hash */
	uint32_t depth;
	void *frames[];
};

/* The interned copy of @frames (the innermost OL_STACK_DEPTH of @depth);
 * NULL only when out of memory, which is reported once. */
const struct ol_stack *ol_stack_intern(void *const *frames, unsigned depth);

/* The stack of the user's code that called the library's public entry
 * point, whose return address is @caller (__builtin_return_address(0) in
 * that entry point): frames above it, the library's own, are left out.
 * NULL when out of memory. Takes the depot's lock at most. */
const struct ol_stack *ol_stack_capture(const void *caller);

/* The process is exiting (registry.c's destructor): frees the calling
 * thread's cache, and the depot when @unused (nothing points into it: the
 * registry and the trackers are empty, no other thread is known) and no
 * other thread has a cache. Later captures unwind, and intern into a new
 * depot. */
void ol_stack_exit(bool unused);

#endif /* OBJLIFE_STACK_H */
