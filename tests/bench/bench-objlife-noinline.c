/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * objlife through its exported functions, as bindings and non-GNU
 * compilers reach it: the header's inline get/put are turned off, so each
 * call goes through the PLT into libobjlife.so.
 */
#include "config.h"

#define OBJLIFE_NO_INLINE 1
#include <objlife.h>

#include "bench.h"

#define REFPAIR_IMPL bench_objlife_exported_refpair
#define REFPAIR_TYPE "bench-pair-exported"
#include "bench-refpair.h"
