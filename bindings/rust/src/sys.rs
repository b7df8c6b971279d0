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
}
