/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * symbolize.c's interface: stacks turned into report lines.
 */
#ifndef OBJLIFE_SYMBOLIZE_H
#define OBJLIFE_SYMBOLIZE_H

#include "objlife-private.h"
#include "stack.h"

/* Symbolising is slow (files, DWARF): one session per report. */
struct ol_symbolizer;
struct ol_symbolizer *ol_symbolizer_new(void);   /* NULL: names from dladdr() or raw addresses */
void ol_symbolizer_free(struct ol_symbolizer *sym);
/* Appends "    #N function (file:line)" lines, one per frame, each after
 * one "    #N function (file:line) (inlined into caller)" line per function
 * inlined there (libdw only), numbered on; for a NULL @stack one line
 * saying there is none. */
void ol_stack_format(struct ol_text *t, struct ol_symbolizer *sym, const struct ol_stack *stack);

#endif /* OBJLIFE_SYMBOLIZE_H */
