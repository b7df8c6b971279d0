// SPDX-License-Identifier: LGPL-2.1-or-later
//! The C API of `<objlife.h>`, as exported by libobjlife.so.0. Unsafe and
//! unchecked: the safe API is in the crate root. The header's fields are
//! private to the library; they are declared only for the layout.

#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

/// `struct objlife`: the header of a managed object (16 bytes on LP64).
#[repr(C)]
pub struct objlife {
    _ops: *const objlife_ops,
    _count: u32,
    _info: u32,
}

impl objlife {
    /// A header of zeroes; the library writes the real one before init runs.
    pub const fn zeroed() -> objlife {
        objlife {
            _ops: std::ptr::null(),
            _count: 0,
            _info: 0,
        }
    }
}

/// `struct objlife_ops`: one per type; must outlive every object of it.
#[repr(C)]
pub struct objlife_ops {
    /// Required; used in reports.
    pub name: *const c_char,
    /// Optional: 0, or a negative errno (then no release, memory freed).
    pub init: Option<unsafe extern "C" fn(obj: *mut objlife, arg: *mut c_void) -> c_int>,
    /// Optional: undoes init, once, on the last put.
    pub release: Option<unsafe extern "C" fn(obj: *mut objlife)>,
    /// Optional, with `free`: zeroed memory of `size` bytes aligned to `align`.
    pub alloc: Option<unsafe extern "C" fn(ops: *const objlife_ops, size: usize, align: usize) -> *mut c_void>,
    /// Gives back what `alloc` returned.
    pub free: Option<unsafe extern "C" fn(ops: *const objlife_ops, mem: *mut c_void, size: usize)>,
    /// Optional: keep up to this many freed objects per thread for reuse
    /// (zeroed as always); 0: none. See `objlife_cache_trim`.
    pub cache: c_uint,
}

/// `struct objlife_table`: a registration table. Opaque: only pointers to
/// it exist, made by `objlife_table_new`.
#[repr(C)]
pub struct objlife_table {
    _opaque: [u8; 0],
}

/// `objlife_request_fn`: asks the holders of an object being withdrawn to
/// let go; `waited_s` is 0 when the wait starts. Called on the thread in
/// `objlife_unregister`, with no library lock held.
pub type objlife_request_fn = Option<unsafe extern "C" fn(obj: *mut objlife, waited_s: c_uint, data: *mut c_void)>;

/// The function `objlife_table_visit` calls, with a reference held; a
/// non-zero return stops the visit.
pub type objlife_visit_fn = Option<unsafe extern "C" fn(obj: *mut objlife, key: u64, data: *mut c_void) -> c_int>;

/// The value a count is pinned at after a misuse.
pub const OBJLIFE_REFCOUNT_SATURATED: u32 = 0xc000_0000;

/// The largest count a get can reach; the next get saturates.
pub const OBJLIFE_REFCOUNT_MAX: u32 = 0x7fff_ffff;

// Linked by build.rs (pkg-config, or OBJLIFE_LIB_DIR).
extern "C" {
    /// A new object with one reference, or NULL with errno set.
    pub fn objlife_alloc_size(ops: *const objlife_ops, size: usize, align: usize, arg: *mut c_void) -> *mut objlife;
    /// Takes a reference; returns `obj`. NULL-safe.
    pub fn objlife_get(obj: *mut objlife) -> *mut objlife;
    /// Takes a reference unless the count is zero.
    pub fn objlife_get_unless_zero(obj: *mut objlife) -> bool;
    /// Drops a reference; the last one runs release and frees. NULL-safe.
    pub fn objlife_put(obj: *mut objlife);
    /// The current count; 0 for NULL.
    pub fn objlife_refcount(obj: *const objlife) -> u32;
    /// The ops the object was allocated with.
    pub fn objlife_ops_of(obj: *const objlife) -> *const objlife_ops;
    /// Objects of `ops` alive now; NULL counts every type.
    pub fn objlife_live_count(ops: *const objlife_ops) -> usize;
    /// Frees this thread's cached blocks of `ops` (NULL: every type) now,
    /// and other threads' at their next use of it; returns how many now.
    pub fn objlife_cache_trim(ops: *const objlife_ops) -> usize;
    /// With OBJLIFE_DEBUG=poison, gives back the quarantined memory of dead
    /// objects of `ops` (NULL: every type) now; returns how many.
    pub fn objlife_quarantine_flush(ops: *const objlife_ops) -> usize;
    /// Lists the live objects to `out` (a `FILE *`; NULL writes nothing); returns how many.
    pub fn objlife_leak_check(out: *mut c_void) -> usize;
    /// Leaves `obj` out of live counts and leak reports from now on.
    pub fn objlife_may_leak(obj: *mut objlife);

    /// A new, empty table (`name` is copied), or NULL with errno EINVAL or ENOMEM.
    pub fn objlife_table_new(name: *const c_char) -> *mut objlife_table;
    /// Frees an empty table: 0, -EBUSY (objects registered or being
    /// withdrawn, or a thread in `objlife_unregister` on it), -EINVAL.
    pub fn objlife_table_free(t: *mut objlife_table) -> c_int;
    /// Publishes `obj` under `*key` (0: the table picks one and stores it);
    /// the table takes a reference. 0, -EEXIST, -EBUSY, -EINVAL, -ENOSPC
    /// or -ENOMEM; nothing changes on error.
    pub fn objlife_register(t: *mut objlife_table, obj: *mut objlife, key: *mut u64) -> c_int;
    /// A new reference to the object registered under `key`, or NULL with
    /// errno ENOENT (EINVAL for a NULL table). Takes no lock.
    pub fn objlife_lookup(t: *mut objlife_table, key: u64) -> *mut objlife;
    /// Withdraws `obj` (the caller holds a reference) and waits, at most
    /// `timeout_ms` (< 0: as long as it takes), for its other holders. 0,
    /// -ETIMEDOUT (still withdrawn), -ENOENT or -EINVAL.
    pub fn objlife_unregister(t: *mut objlife_table, obj: *mut objlife, timeout_ms: c_int) -> c_int;
    /// Sets the table's request function (None: none); returns once calls
    /// to the earlier one on other threads have returned.
    pub fn objlife_table_set_request(t: *mut objlife_table, request: objlife_request_fn, data: *mut c_void);
    /// Objects registered now, withdrawn ones not counted; 0 for NULL.
    pub fn objlife_table_count(t: *mut objlife_table) -> usize;
    /// Calls `visit` on every object registered at the start and still
    /// registered at its turn, with a reference held and no lock; its
    /// non-zero return stops the visit and is returned. -EINVAL, -ENOMEM.
    pub fn objlife_table_visit(t: *mut objlife_table, visit: objlife_visit_fn, data: *mut c_void) -> c_int;
}
