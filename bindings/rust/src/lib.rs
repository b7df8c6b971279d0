// SPDX-License-Identifier: LGPL-2.1-or-later
//! Safe references to libobjlife objects.
//!
//! [`Ref<T>`] owns one reference to a `T` whose first field is a [`Header`]
//! (the C library's `struct objlife`): `Clone` takes a reference
//! (`objlife_get`), `Drop` drops one (`objlife_put`), `Deref` reaches the
//! `T`. The last drop runs the type's release exactly once, whichever
//! thread or language makes it.
//!
//! Types defined in Rust implement [`Type`]: `init` builds the value and
//! returns `Result`, so a failed init leaves nothing behind (the library
//! frees the memory, and neither release nor `Drop` runs), and
//! [`Ref::new`] returns the errno as an [`Error`]:
//!
//! ```
//! use objlife::{Error, Header, Object, Ref, Type};
//!
//! #[repr(C)]
//! struct Session { header: Header, peer: String }
//! unsafe impl Object for Session {}   // repr(C), Header first
//!
//! impl Type for Session {
//!     const NAME: &'static str = "session";
//!     type Args = &'static str;
//!     fn init(peer: &'static str) -> Result<Self, Error> {
//!         Ok(Session { header: Header::new(), peer: peer.to_string() })
//!     }
//! }
//!
//! let s = Ref::<Session>::new("10.0.0.7")?;
//! let t = s.clone();                        // objlife_get
//! assert_eq!((Ref::refcount(&t), t.peer.as_str()), (2, "10.0.0.7"));
//! drop(s);
//! drop(t);                                  // the last put: release, then free
//! assert_eq!(objlife::live_count::<Session>(), 0);
//! # Ok::<(), Error>(())
//! ```
//!
//! Objects made in C cross over with [`Ref::from_raw`] (takes over the
//! caller's reference) or [`Ref::retain`] (takes a new one), and go back
//! with [`Ref::into_raw`]. Like `Arc`, a `Ref<T>` is `Send` and `Sync`
//! only when `T` is both: a clone dropped on another thread may run
//! release there, and every clone reads the same `T`.
//!
//! [`Table<T>`] is a registration table: `register` publishes a `Ref<T>`
//! under a key, `lookup` finds it from any thread without a lock, and
//! `unregister` withdraws it and waits for its other holders:
//!
//! ```
//! # use objlife::{Error, Header, Object, Ref, Table, Type};
//! # #[repr(C)]
//! # struct Session { header: Header }
//! # unsafe impl Object for Session {}
//! # impl Type for Session {
//! #     const NAME: &'static str = "session";
//! #     type Args = ();
//! #     fn init(_: ()) -> Result<Self, Error> { Ok(Session { header: Header::new() }) }
//! # }
//! use std::time::Duration;
//!
//! let sessions = Table::<Session>::new("sessions")?;
//! let s = Ref::<Session>::new(())?;
//! let key = sessions.register(&s)?;                    // the table's own reference
//! let found = sessions.lookup(key).expect("registered"); // a Ref of its own
//! assert!(Ref::ptr_eq(&found, &s));
//! drop(found);
//! sessions.unregister(&s, Some(Duration::from_secs(5)))?;
//! assert!(sessions.lookup(key).is_none());
//! # Ok::<(), Error>(())
//! ```
//!
//! Panics do not cross the C library: a panic in `init` is carried over
//! and resumed by `Ref::new`; a panic in `release` (or in `T`'s `Drop`) is
//! resumed by the `Ref` drop that ran it, and aborts the process when the
//! last put came from C, where nothing could catch it. A panic in a
//! table's request callable is resumed by the [`Table::unregister`] that
//! called it, and aborts when the unregister came from C.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ops::{ControlFlow, Deref};
use std::os::raw::{c_int, c_uint, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;
use std::time::Duration;

pub mod sys;

// ---------------------------------------------------------------------------
// The header and the traits that describe an object
// ---------------------------------------------------------------------------

/// The objlife header (`struct objlife`), to embed as the first field of a
/// `#[repr(C)]` struct. Its fields are the library's; a `Header` outside a
/// live object is inert.
#[repr(transparent)]
pub struct Header(UnsafeCell<sys::objlife>);

// The library changes the count atomically and the rest only before the
// object is shared: a header may be read from, and sent to, any thread.
unsafe impl Send for Header {}
unsafe impl Sync for Header {}

impl Header {
    /// The value for the header field of what [`Type::init`] returns. It is
    /// a placeholder: the object keeps the header the library set up.
    pub const fn new() -> Header {
        Header(UnsafeCell::new(sys::objlife::zeroed()))
    }
}

impl Default for Header {
    fn default() -> Header {
        Header::new()
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Header { .. }")
    }
}

/// Marks a struct that starts with the objlife header, so that a pointer
/// to it is a pointer to its `struct objlife`.
///
/// # Safety
///
/// The implementor must be `#[repr(C)]` (or `#[repr(transparent)]` over
/// such a type) with a [`Header`] (or a `sys::objlife`) as its first
/// field, and its objects must be allocated by libobjlife.
pub unsafe trait Object {}

// A bare header: for objects of a C type whose layout Rust need not know.
unsafe impl Object for Header {}

/// A type of object defined in Rust.
///
/// `init` runs inside the library's allocation, on the new object with a
/// count of 1, and builds its value; if it returns `Err`, the library frees
/// the memory and nothing else runs: no `release`, no `Drop`. On the last
/// put, `release` runs exactly once, then the value is dropped, then the
/// library frees the memory.
pub trait Type: Object + Sized + 'static {
    /// The type's name in the library's reports (no NUL byte).
    const NAME: &'static str;
    /// What [`Ref::new`] passes to `init`.
    type Args;
    /// Builds the object. Put [`Header::new()`] in the header field: it is
    /// a placeholder, the object keeps the library's header. An `Err`
    /// becomes `Ref::new`'s error.
    fn init(args: Self::Args) -> Result<Self, Error>;
    /// Undoes what `init` did that `Drop` does not; the default does
    /// nothing. Runs once, on whichever thread drops the last reference;
    /// the fields are dropped right after.
    fn release(&mut self) {}
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// An errno: why the library refused to allocate (`ENOMEM`, `EINVAL`),
/// what a failing [`Type::init`] returned, or why a [`Table`] call failed
/// (`EEXIST`, `EBUSY`, `ENOENT`, `ETIMEDOUT`, ...).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error {
    errno: i32,
}

impl Error {
    /// An error with this (positive) errno value. The library turns 0 and
    /// negative values returned by an init into `EINVAL`.
    pub fn from_errno(errno: i32) -> Error {
        Error { errno }
    }

    /// The errno value.
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The errno as the standard library classifies it:
    /// `io::ErrorKind::TimedOut` for `ETIMEDOUT`, `NotFound` for `ENOENT`,
    /// `AlreadyExists` for `EEXIST`, ...
    pub fn kind(&self) -> io::ErrorKind {
        io::Error::from_raw_os_error(self.errno).kind()
    }

    // What init returns to the C library: -errno, or a positive value,
    // which the library takes as a bug and reports as EINVAL.
    fn init_return(self) -> c_int {
        if self.errno > 0 {
            -self.errno
        } else {
            1
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("errno", &self.errno)
            .field("message", &io::Error::from_raw_os_error(self.errno).to_string())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&io::Error::from_raw_os_error(self.errno), f)
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        io::Error::from_raw_os_error(e.errno)
    }
}

// ---------------------------------------------------------------------------
// One ops table per Rust type
// ---------------------------------------------------------------------------

// Rust has no generic statics: each Type's ops table is made on first use
// and never freed (the C library reads it until its last object is gone,
// and live counts are per ops address).
struct Ops(sys::objlife_ops);

// Read-only after construction: a name and function pointers.
unsafe impl Send for Ops {}
unsafe impl Sync for Ops {}

static TYPES: RwLock<Option<HashMap<TypeId, &'static Ops>>> = RwLock::new(None);

fn registered_ops<T: Type>() -> Option<&'static Ops> {
    let types = TYPES.read().unwrap_or_else(|e| e.into_inner());
    types.as_ref().and_then(|map| map.get(&TypeId::of::<T>()).copied())
}

fn ops_of_type<T: Type>() -> &'static Ops {
    if let Some(ops) = registered_ops::<T>() {
        return ops;
    }
    let mut types = TYPES.write().unwrap_or_else(|e| e.into_inner());
    let map = types.get_or_insert_with(HashMap::new);
    let ops: &'static Ops = map.entry(TypeId::of::<T>()).or_insert_with(|| {
        let name = CString::new(T::NAME).expect("objlife::Type::NAME must not contain a NUL byte");
        Box::leak(Box::new(Ops(sys::objlife_ops {
            name: Box::leak(name.into_boxed_c_str()).as_ptr(),
            init: Some(init_trampoline::<T>),
            release: Some(release_trampoline::<T>),
            alloc: None,
            free: None,
            cache: 0,
        })))
    });
    ops
}

// ---------------------------------------------------------------------------
// init and release, called by the C library
// ---------------------------------------------------------------------------

// Ref::new's arguments on the way into init, and init's panic on the way out.
struct InitCall<T: Type> {
    args: Option<T::Args>,
    panic: Option<Box<dyn Any + Send>>,
}

unsafe extern "C" fn init_trampoline<T: Type>(obj: *mut sys::objlife, arg: *mut c_void) -> c_int {
    // Only Ref::new allocates with this ops table, and passes an InitCall.
    let call = match unsafe { (arg as *mut InitCall<T>).as_mut() } {
        Some(call) => call,
        None => return 1,
    };
    let args = match call.args.take() {
        Some(args) => args,
        None => return 1,
    };
    match panic::catch_unwind(AssertUnwindSafe(move || T::init(args))) {
        Ok(Ok(value)) => {
            unsafe { move_in_after_header(obj as *mut T, value) };
            0
        }
        Ok(Err(e)) => e.init_return(),
        Err(payload) => {
            call.panic = Some(payload);
            1
        }
    }
}

// Moves @value into the object, all but its header: the object's header is
// the library's and is never written, the value's is a placeholder and is
// forgotten (a Header has no Drop).
unsafe fn move_in_after_header<T>(dst: *mut T, value: T) {
    let value = ManuallyDrop::new(value);
    let skip = mem::size_of::<Header>();
    let src = &*value as *const T as *const u8;
    unsafe { ptr::copy_nonoverlapping(src.add(skip), (dst as *mut u8).add(skip), mem::size_of::<T>() - skip) };
}

unsafe extern "C" fn release_trampoline<T: Type>(obj: *mut sys::objlife) {
    struct DropInPlace<T>(*mut T);
    impl<T> Drop for DropInPlace<T> {
        fn drop(&mut self) {
            // Also when release panicked: the fields go either way.
            unsafe { ptr::drop_in_place(self.0) }
        }
    }

    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let this = DropInPlace(obj as *mut T);
        // The count is zero: nobody else can reach the object.
        unsafe { (*this.0).release() };
    }));
    if let Err(payload) = result {
        release_panicked(payload, T::NAME);
    }
}

thread_local! {
    // Whether this thread is inside a put made by Rust code (a Ref drop),
    // which can resume a panic from release; and that panic.
    static IN_RUST_PUT: Cell<bool> = const { Cell::new(false) };
    static RELEASE_PANIC: RefCell<Option<Box<dyn Any + Send>>> = const { RefCell::new(None) };
}

fn release_panicked(payload: Box<dyn Any + Send>, name: &str) {
    if IN_RUST_PUT.try_with(|p| p.get()).unwrap_or(false) {
        let _ = RELEASE_PANIC.try_with(|slot| *slot.borrow_mut() = Some(payload));
    } else {
        eprintln!(
            "objlife: release of a {} panicked on a put made outside Rust, where the panic cannot go; aborting",
            name
        );
        std::process::abort();
    }
}

// objlife_put, then the panic of a release it ran, if any.
unsafe fn put(obj: *mut sys::objlife) {
    let outer = IN_RUST_PUT.try_with(|p| p.replace(true)).ok();
    unsafe { sys::objlife_put(obj) };
    if let Some(was) = outer {
        let _ = IN_RUST_PUT.try_with(|p| p.set(was));
    }
    let pending = RELEASE_PANIC.try_with(|slot| slot.borrow_mut().take()).ok().flatten();
    if let Some(payload) = pending {
        if !std::thread::panicking() {
            panic::resume_unwind(payload);
        }
        // Already unwinding: a second panic would abort. The first one wins.
    }
}

// ---------------------------------------------------------------------------
// Ref
// ---------------------------------------------------------------------------

/// One owned reference to an objlife object.
///
/// `Clone` takes a reference, `Drop` drops it, `Deref` reaches the `T`.
/// Associated functions (`Ref::refcount(&r)`) rather than methods keep the
/// names of `T`'s own methods free, as with `Arc`.
///
/// `Send` and `Sync` only when `T` is both:
///
/// ```compile_fail
/// use objlife::{Header, Object, Ref};
/// use std::cell::Cell;
///
/// #[repr(C)]
/// struct Counter { header: Header, hits: Cell<u32> }   // Cell: not Sync
/// unsafe impl Object for Counter {}
///
/// fn send<T: Send>(_: T) {}
/// fn give_away(r: Ref<Counter>) { send(r) }
/// ```
pub struct Ref<T: Object> {
    ptr: NonNull<T>,
    _owns: PhantomData<T>,
}

unsafe impl<T: Object + Send + Sync> Send for Ref<T> {}
unsafe impl<T: Object + Send + Sync> Sync for Ref<T> {}

impl<T: Type> Ref<T> {
    /// Allocates a `T` through the library and runs [`Type::init`] with
    /// `args`. Returns the only reference to it, or the errno: init's
    /// error, `ENOMEM`, or `EINVAL`. On error nothing is left: no memory,
    /// no release, no `Drop`. A panic in init is resumed here, with the
    /// same guarantees.
    pub fn new(args: T::Args) -> Result<Ref<T>, Error> {
        assert!(mem::size_of::<T>() >= mem::size_of::<Header>(), "objlife: T cannot start with a Header");
        let ops = ops_of_type::<T>();
        let mut call = InitCall::<T> {
            args: Some(args),
            panic: None,
        };
        let obj = unsafe {
            sys::objlife_alloc_size(
                &ops.0,
                mem::size_of::<T>(),
                mem::align_of::<T>(),
                &mut call as *mut InitCall<T> as *mut c_void,
            )
        };
        let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
        if let Some(payload) = call.panic.take() {
            panic::resume_unwind(payload);
        }
        match NonNull::new(obj) {
            Some(ptr) => Ok(Ref {
                ptr: ptr.cast(),
                _owns: PhantomData,
            }),
            None => Err(Error::from_errno(errno)),
        }
    }
}

impl<T: Object> Ref<T> {
    /// Takes over a reference the caller owns, e.g. one a C function
    /// returned: no get now, one put when the `Ref` is dropped.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live object of type `T` allocated by libobjlife,
    /// and the caller owns one reference to it, which it gives up.
    ///
    /// # Panics
    ///
    /// If `ptr` is null.
    pub unsafe fn from_raw(ptr: *mut T) -> Ref<T> {
        Ref {
            ptr: NonNull::new(ptr).expect("objlife::Ref::from_raw: null pointer"),
            _owns: PhantomData,
        }
    }

    /// Takes a new reference (`objlife_get`); the caller keeps its own.
    ///
    /// # Safety
    ///
    /// `ptr` points to a live object of type `T` allocated by libobjlife,
    /// on which the caller holds a reference for the duration of the call.
    ///
    /// # Panics
    ///
    /// If `ptr` is null.
    pub unsafe fn retain(ptr: *mut T) -> Ref<T> {
        let this = unsafe { Ref::from_raw(ptr) };
        unsafe { sys::objlife_get(this.header()) };
        this
    }

    /// Gives up ownership without a put and returns the pointer: the
    /// caller owns the reference (hand it to C, or to [`Ref::from_raw`]).
    pub fn into_raw(this: Ref<T>) -> *mut T {
        let ptr = this.ptr.as_ptr();
        mem::forget(this);
        ptr
    }

    /// The object's address; the `Ref` keeps its reference.
    pub fn as_ptr(this: &Ref<T>) -> *mut T {
        this.ptr.as_ptr()
    }

    /// The current count: stale as soon as it is read when other threads
    /// hold references; `sys::OBJLIFE_REFCOUNT_SATURATED` after a misuse.
    pub fn refcount(this: &Ref<T>) -> u32 {
        unsafe { sys::objlife_refcount(this.header()) }
    }

    /// Whether two `Ref`s own references to the same object.
    pub fn ptr_eq(a: &Ref<T>, b: &Ref<T>) -> bool {
        a.ptr == b.ptr
    }

    /// The name of the object's type (its ops table's `name`).
    pub fn type_name(this: &Ref<T>) -> &CStr {
        // The ops table outlives the object, which this Ref keeps alive.
        unsafe { CStr::from_ptr((*sys::objlife_ops_of(this.header())).name) }
    }

    fn header(&self) -> *mut sys::objlife {
        self.ptr.as_ptr() as *mut sys::objlife
    }
}

impl<T: Object> Clone for Ref<T> {
    /// Takes a reference (`objlife_get`).
    fn clone(&self) -> Ref<T> {
        unsafe { sys::objlife_get(self.header()) };
        Ref {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: Object> Drop for Ref<T> {
    /// Drops the reference (`objlife_put`); the last one runs release.
    fn drop(&mut self) {
        unsafe { put(self.header()) }
    }
}

impl<T: Object> Deref for Ref<T> {
    type Target = T;

    fn deref(&self) -> &T {
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: Object> AsRef<T> for Ref<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T: Object + fmt::Debug> fmt::Debug for Ref<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: Object> fmt::Pointer for Ref<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&self.ptr, f)
    }
}

// ---------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------

/// What [`Table::set_request`] takes: called with the object being
/// withdrawn and how long the wait has lasted.
pub type RequestFn<T> = dyn Fn(&Ref<T>, Duration) + Send + Sync;

// What the C table's request data points to: on the heap, so that the
// Table may move. The callable is shared, so that a call running on one
// thread keeps the callable it started with while another replaces it.
struct TableShared<T: Object> {
    name: CString,
    request: Mutex<Option<Arc<RequestFn<T>>>>,
}

// C tables dropped while objects withdrawn from them were still held
// elsewhere: never freed (their last puts end those registrations, and
// need the table), kept reachable here.
#[allow(dead_code)] // never read: it keeps the table reachable
struct Abandoned(*mut sys::objlife_table);
unsafe impl Send for Abandoned {}
static ABANDONED: Mutex<Vec<Abandoned>> = Mutex::new(Vec::new());

thread_local! {
    // Whether this thread is inside Table::unregister, which can resume a
    // panic from the request callable; and that panic.
    static IN_RUST_UNREGISTER: Cell<bool> = const { Cell::new(false) };
    static REQUEST_PANIC: RefCell<Option<Box<dyn Any + Send>>> = const { RefCell::new(None) };
}

unsafe extern "C" fn request_trampoline<T: Object>(obj: *mut sys::objlife, waited_s: c_uint, data: *mut c_void) {
    // The Table's shared state outlives every call: set to NULL, or the C
    // table freed, before it goes.
    let shared = unsafe { &*(data as *const TableShared<T>) };
    let request = shared.request.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let request = match request {
        Some(request) => request,
        None => return,
    };
    // The waiting caller's reference, lent for the call.
    let lent = ManuallyDrop::new(unsafe { Ref::from_raw(obj as *mut T) });
    let result = panic::catch_unwind(AssertUnwindSafe(|| request(&lent, Duration::from_secs(waited_s.into()))));
    if let Err(payload) = result {
        if IN_RUST_UNREGISTER.try_with(|u| u.get()).unwrap_or(false) {
            // The first panic of the wait is resumed; later ones are dropped.
            let _ = REQUEST_PANIC.try_with(|slot| {
                let mut slot = slot.borrow_mut();
                if slot.is_none() {
                    *slot = Some(payload);
                }
            });
        } else {
            eprintln!(
                "objlife: the request callable of table {:?} panicked in an unregister made outside Rust, \
                 where the panic cannot go; aborting",
                shared.name
            );
            std::process::abort();
        }
    }
}

unsafe extern "C" fn collect_key(_obj: *mut sys::objlife, key: u64, data: *mut c_void) -> c_int {
    let keys = unsafe { &mut *(data as *mut Vec<u64>) };
    match panic::catch_unwind(AssertUnwindSafe(|| keys.push(key))) {
        Ok(()) => 0,
        Err(_) => 1, // no room for the key: seen as ENOMEM
    }
}

// The timeout of objlife_unregister: None or more than INT_MAX ms, as long
// as it takes (-1); otherwise milliseconds, rounded up.
fn timeout_ms(timeout: Option<Duration>) -> c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
            if ms > c_int::MAX as u128 {
                -1
            } else {
                ms as c_int
            }
        }
    }
}

/// A registration table whose objects are `T`s: [`register`] publishes a
/// `Ref<T>` under a `u64` key, [`lookup`] finds it from any thread without
/// a lock, [`unregister`] withdraws it (no lookup finds it from then on)
/// and waits for its other holders.
///
/// Errors are [`Error`]s carrying the errno; [`Error::kind`] classifies
/// them (`TimedOut`, `NotFound`, `AlreadyExists`).
///
/// `Send` and `Sync` when `T` is both, as `Ref<T>`: every method takes
/// `&self` and may run on several threads at once (the C API is
/// thread-safe); lookups on any thread hand out `Ref<T>`s there.
///
/// Dropping the table frees it. Objects still registered are withdrawn
/// first, without waiting, as a collection drops the references it holds:
/// those nobody else holds are released. If an object withdrawn from it
/// (then, or by an `unregister` that timed out) is still held elsewhere,
/// its registration ends only at its last put, which needs the C table:
/// the table is then never freed (it is kept reachable, so leak checkers
/// do not count it), its request callable is dropped, and a line on
/// stderr says so. Drop the holders first to be sure it is freed.
///
/// [`register`]: Table::register
/// [`lookup`]: Table::lookup
/// [`unregister`]: Table::unregister
pub struct Table<T: Object> {
    raw: NonNull<sys::objlife_table>,
    shared: Box<TableShared<T>>,
    _holds: PhantomData<Ref<T>>,
}

unsafe impl<T: Object + Send + Sync> Send for Table<T> {}
unsafe impl<T: Object + Send + Sync> Sync for Table<T> {}

impl<T: Object> Table<T> {
    /// An empty table named `name` (in reports). `EINVAL` when the name
    /// has a NUL byte, `ENOMEM`.
    pub fn new(name: &str) -> Result<Table<T>, Error> {
        let name = CString::new(name).map_err(|_| Error::from_errno(libc_errno::EINVAL))?;
        let raw = unsafe { sys::objlife_table_new(name.as_ptr()) };
        let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
        match NonNull::new(raw) {
            Some(raw) => Ok(Table {
                raw,
                shared: Box::new(TableShared {
                    name,
                    request: Mutex::new(None),
                }),
                _holds: PhantomData,
            }),
            None => Err(Error::from_errno(errno)),
        }
    }

    /// Publishes `obj` under a key the table picks (one no object had in
    /// this table before) and returns it. The table takes a reference of
    /// its own. `EBUSY`: `obj` is in a table already; `EINVAL`: a dying or
    /// saturated object; `ENOSPC`: no key left; `ENOMEM`. Nothing changes
    /// on error.
    pub fn register(&self, obj: &Ref<T>) -> Result<u64, Error> {
        self.register_with_key(obj, 0)
    }

    /// As [`register`](Table::register), under `key` (0: the table picks
    /// one); returns the key. `EEXIST`: another object, registered or
    /// being withdrawn, has it.
    pub fn register_with_key(&self, obj: &Ref<T>, key: u64) -> Result<u64, Error> {
        let mut key = key;
        let err = unsafe { sys::objlife_register(self.raw.as_ptr(), obj.header(), &mut key) };
        if err != 0 {
            return Err(Error::from_errno(-err));
        }
        Ok(key)
    }

    /// A new reference to the object registered under `key`, or `None`:
    /// none is, or it is being withdrawn. Takes no lock.
    pub fn lookup(&self, key: u64) -> Option<Ref<T>> {
        let obj = unsafe { sys::objlife_lookup(self.raw.as_ptr(), key) };
        // Only Ref<T>s are registered through a Table<T>.
        NonNull::new(obj as *mut T).map(|ptr| Ref {
            ptr,
            _owns: PhantomData,
        })
    }

    /// Withdraws `obj`: no lookup finds it from now on, and the table
    /// drops its reference. Then waits until no one but the callers of
    /// `unregister` holds it, at most `timeout` (rounded up to a
    /// millisecond; `None`, or more than `i32::MAX` ms, as long as it
    /// takes, with a DRAIN_WAIT report after 1 s and every 10 s); `obj` is
    /// then out of the table and may be registered again.
    ///
    /// `ETIMEDOUT` (`Error::kind()` is `TimedOut`) when others still hold
    /// it: it stays withdrawn; call again to wait again, or drop your
    /// references and the last holder's drop ends the registration.
    /// `ENOENT`: `obj` is not in this table.
    pub fn unregister(&self, obj: &Ref<T>, timeout: Option<Duration>) -> Result<(), Error> {
        let outer = IN_RUST_UNREGISTER.try_with(|u| u.replace(true)).ok();
        let err = unsafe { sys::objlife_unregister(self.raw.as_ptr(), obj.header(), timeout_ms(timeout)) };
        if let Some(was) = outer {
            let _ = IN_RUST_UNREGISTER.try_with(|u| u.set(was));
        }
        let pending = REQUEST_PANIC.try_with(|slot| slot.borrow_mut().take()).ok().flatten();
        if let Some(payload) = pending {
            if !thread::panicking() {
                panic::resume_unwind(payload);
            }
        }
        if err != 0 {
            return Err(Error::from_errno(-err));
        }
        Ok(())
    }

    /// How many objects are registered now (withdrawn ones not counted).
    pub fn count(&self) -> usize {
        unsafe { sys::objlife_table_count(self.raw.as_ptr()) }
    }

    /// Calls `f(obj, key)` for every object registered when the call
    /// starts and still registered at its turn. `obj` is a reference of
    /// the visit's own, dropped after the call (clone it to keep one); `f`
    /// may call anything, `unregister(obj, ..)` included (a shutdown that
    /// withdraws every object). `ControlFlow::Break(b)` stops the visit,
    /// which returns `Ok(Some(b))`; `Ok(None)` when every object was
    /// visited. `ENOMEM`: nothing visited. A panic in `f` goes through.
    pub fn visit<B, F>(&self, mut f: F) -> Result<Option<B>, Error>
    where
        F: FnMut(&Ref<T>, u64) -> ControlFlow<B>,
    {
        // The keys first, then a lookup of each: `f` runs in Rust, with a
        // reference of the visit's own, which its unregister can wait for.
        for key in self.keys()? {
            if let Some(obj) = self.lookup(key) {
                if let ControlFlow::Break(b) = f(&obj, key) {
                    return Ok(Some(b));
                }
            }
        }
        Ok(None)
    }

    /// Has `request(obj, waited)` called on the thread in `unregister`
    /// when a wait for other holders starts (`waited` zero) and with each
    /// DRAIN_WAIT report (1 s, 11 s, 21 s...), to ask the holders to let
    /// go, as vfio's request op does; `None` removes it. The table keeps
    /// the closure until it is replaced or the table is dropped; calls may
    /// run on several threads at once. Returns once calls to the previous
    /// closure on other threads have returned. A panic in it is resumed
    /// by the `unregister` that called it (once that returns).
    pub fn set_request(&self, request: Option<Box<RequestFn<T>>>) {
        let request: Option<Arc<RequestFn<T>>> = request.map(Arc::from);
        let previous = {
            let mut slot = self.shared.request.lock().unwrap_or_else(|e| e.into_inner());
            mem::replace(&mut *slot, request)
        };
        // Always the same function and data: calls find the closure current
        // when they run, so concurrent set_request calls cannot leave the C
        // table with one already dropped.
        unsafe {
            sys::objlife_table_set_request(
                self.raw.as_ptr(),
                Some(request_trampoline::<T>),
                &*self.shared as *const TableShared<T> as *mut c_void,
            )
        };
        drop(previous);
    }

    /// The table's name.
    pub fn name(&self) -> &CStr {
        &self.shared.name
    }

    /// The C table, for the C API. The `Table` keeps owning it; register
    /// only objects of type `T` in it.
    pub fn as_ptr(&self) -> *mut sys::objlife_table {
        self.raw.as_ptr()
    }

    // The keys of the objects registered now.
    fn keys(&self) -> Result<Vec<u64>, Error> {
        let mut keys: Vec<u64> = Vec::new();
        let err = unsafe {
            sys::objlife_table_visit(
                self.raw.as_ptr(),
                Some(collect_key),
                &mut keys as *mut Vec<u64> as *mut c_void,
            )
        };
        match err {
            0 => Ok(keys),
            1 => Err(Error::from_errno(libc_errno::ENOMEM)),
            _ => Err(Error::from_errno(-err)),
        }
    }
}

impl<T: Object> Drop for Table<T> {
    /// Frees the table, withdrawing what it still holds; see [`Table`].
    fn drop(&mut self) {
        let raw = self.raw.as_ptr();
        let mut err = unsafe { sys::objlife_table_free(raw) };
        let mut held = 0usize;
        let mut panicked = None;
        if err != 0 {
            for key in self.keys().unwrap_or_default() {
                if let Some(obj) = self.lookup(key) {
                    // Without waiting: @obj is the only reference it may keep.
                    let withdrawn = unsafe { sys::objlife_unregister(raw, obj.header(), 0) };
                    if withdrawn != 0 && Error::from_errno(-withdrawn).kind() == io::ErrorKind::TimedOut {
                        held += 1;
                    }
                    // Maybe the last put: a panic in release comes back
                    // once the table is dealt with.
                    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(obj))) {
                        panicked.get_or_insert(payload);
                    }
                }
            }
            err = unsafe { sys::objlife_table_free(raw) };
        }
        if err != 0 {
            // No call to the closure from now on; calls running on other
            // threads have returned.
            unsafe { sys::objlife_table_set_request(raw, None, ptr::null_mut()) };
            ABANDONED.lock().unwrap_or_else(|e| e.into_inner()).push(Abandoned(raw));
            eprintln!(
                "objlife: table {:?} dropped while objects withdrawn from it are still held elsewhere \
                 ({} now, more if an unregister timed out earlier); the table is never freed: their last \
                 puts end their registrations",
                self.shared.name, held
            );
        }
        if let Some(payload) = panicked {
            if !thread::panicking() {
                panic::resume_unwind(payload);
            }
        }
    }
}

impl<T: Object> fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("name", &self.shared.name)
            .field("count", &self.count())
            .finish()
    }
}

// The two errno values the crate needs itself, the same on every platform
// the library builds for.
mod libc_errno {
    pub const ENOMEM: i32 = 12;
    pub const EINVAL: i32 = 22;
}

// ---------------------------------------------------------------------------
// Diagnostics
// ---------------------------------------------------------------------------

/// How many objects of the Rust type `T` are alive now.
pub fn live_count<T: Type>() -> usize {
    match registered_ops::<T>() {
        Some(ops) => unsafe { sys::objlife_live_count(&ops.0) },
        None => 0, // no object of T was ever made
    }
}

/// How many objects of every type, C ones included, are alive now.
pub fn live_count_all() -> usize {
    unsafe { sys::objlife_live_count(ptr::null()) }
}
