/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * table.c's interface to the rest of the library: the teardown path asks
 * it about registered objects, and the library's exit lets it free what
 * it owns.
 */
#ifndef OBJLIFE_TABLE_H
#define OBJLIFE_TABLE_H

#include "objlife-private.h"

/* core.c. The last reference to @obj, which has OL_REGISTERED, is gone.
 * Returns true when release may run: @obj was withdrawn and nobody waits
 * in objlife_unregister() for it (it gave up with -ETIMEDOUT), so its
 * registration ends here. Returns false after an UNDERFLOW report when
 * @obj is still published or waited for: someone put the table's or a
 * waiter's reference, and the object must leak, as lookups or waiters may
 * still read it. Takes the tables lock. */
bool ol_table_released(struct objlife *obj);

/* diag/registry.c's last destructor: frees the calling thread's reader
 * record, and the retired nodes when no other thread can be reading. */
void ol_table_exit(void);

#endif /* OBJLIFE_TABLE_H */
