// SPDX-License-Identifier: LGPL-2.1-or-later
//! objlife::Ref against the library just built: Clone = get, Drop = put,
//! a failed init returns its errno and runs neither release nor Drop, the
//! last drop runs release once and then the fields' Drop, panics come back
//! to Rust callers. Each test has a type of its own, so that the tests can
//! run in parallel and still check live counts back to zero.

use objlife::{sys, Error, Header, Object, Ref, Type};
use std::ffi::CStr;
use std::io;
use std::os::raw::c_void;
use std::panic;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

struct Counts {
    inits: AtomicUsize,
    releases: AtomicUsize,
    drops: AtomicUsize,
    releases_seen_by_drop: AtomicUsize,
}

impl Counts {
    const fn new() -> Counts {
        Counts {
            inits: AtomicUsize::new(0),
            releases: AtomicUsize::new(0),
            drops: AtomicUsize::new(0),
            releases_seen_by_drop: AtomicUsize::new(0),
        }
    }

    fn get(&self) -> (usize, usize, usize) {
        (self.inits.load(SeqCst), self.releases.load(SeqCst), self.drops.load(SeqCst))
    }
}

// A field whose Drop is counted (and sees whether release ran before it).
struct Tracker(&'static Counts);

impl Drop for Tracker {
    fn drop(&mut self) {
        self.0.releases_seen_by_drop.store(self.0.releases.load(SeqCst), SeqCst);
        self.0.drops.fetch_add(1, SeqCst);
    }
}

// counted_type!(Type, COUNTS, init): a #[repr(C)] type with a header, a
// u64 built by `init` from Ref::new's argument, and a counted field.
macro_rules! counted_type {
    ($ty:ident, $counts:ident, $init:expr) => {
        static $counts: Counts = Counts::new();

        #[repr(C)]
        #[allow(dead_code)]
        struct $ty {
            header: Header,
            value: u64,
            tracker: Tracker,
        }

        unsafe impl Object for $ty {}

        impl Type for $ty {
            const NAME: &'static str = stringify!($ty);
            type Args = u64;

            fn init(arg: u64) -> Result<Self, Error> {
                $counts.inits.fetch_add(1, SeqCst);
                let build: fn(u64) -> Result<u64, Error> = $init;
                let value = build(arg)?;
                Ok($ty {
                    header: Header::new(),
                    value,
                    tracker: Tracker(&$counts),
                })
            }

            fn release(&mut self) {
                $counts.releases.fetch_add(1, SeqCst);
            }
        }
    };
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn new_owns_the_only_reference() {
    counted_type!(Fresh, FRESH, Ok);
    let r = Ref::<Fresh>::new(5).unwrap();

    assert_eq!(Ref::refcount(&r), 1);
    assert_eq!(r.value, 5);
    assert_eq!(FRESH.get(), (1, 0, 0));
    assert_eq!(objlife::live_count::<Fresh>(), 1);
    drop(r);
    assert_eq!(FRESH.get(), (1, 1, 1));
    assert_eq!(objlife::live_count::<Fresh>(), 0);
}

#[test]
fn clone_takes_a_reference_and_drop_puts_it() {
    counted_type!(Cloned, CLONED, Ok);
    let a = Ref::<Cloned>::new(1).unwrap();
    let b = a.clone();

    assert!(Ref::ptr_eq(&a, &b));
    assert_eq!(Ref::refcount(&a), 2);
    drop(b);
    assert_eq!(Ref::refcount(&a), 1);
    assert_eq!(CLONED.get(), (1, 0, 0));
    drop(a);
    assert_eq!(CLONED.get(), (1, 1, 1));
    assert_eq!(objlife::live_count::<Cloned>(), 0);
}

#[test]
fn last_drop_runs_release_once_then_drops_the_fields() {
    counted_type!(Ordered, ORDERED, Ok);
    let refs: Vec<Ref<Ordered>> = {
        let first = Ref::<Ordered>::new(0).unwrap();
        (0..10).map(|_| first.clone()).collect()
    };

    assert_eq!(Ref::refcount(&refs[0]), 10);
    drop(refs);
    assert_eq!(ORDERED.get(), (1, 1, 1));
    assert_eq!(ORDERED.releases_seen_by_drop.load(SeqCst), 1);
    assert_eq!(objlife::live_count::<Ordered>(), 0);
}

#[test]
fn failed_init_returns_its_errno_without_release_or_drop() {
    counted_type!(Refused, REFUSED, |_| Err(Error::from_errno(28)));
    let err = Ref::<Refused>::new(0).err().expect("init failed");

    assert_eq!(err.errno(), 28);
    assert_eq!(io::Error::from(err).raw_os_error(), Some(28));
    assert_eq!(REFUSED.get(), (1, 0, 0));
    assert_eq!(objlife::live_count::<Refused>(), 0);
}

#[test]
fn init_error_without_an_errno_becomes_einval() {
    counted_type!(Vague, VAGUE, |_| Err(Error::from_errno(0)));
    let err = Ref::<Vague>::new(0).err().expect("init failed");

    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
    assert_eq!(VAGUE.get(), (1, 0, 0));
    assert_eq!(objlife::live_count::<Vague>(), 0);
}

#[test]
fn panic_in_init_is_resumed_by_new_and_nothing_is_left() {
    counted_type!(Panicky, PANICKY, |_| panic!("init gives up"));
    let payload = panic::catch_unwind(|| Ref::<Panicky>::new(0)).err().expect("new panicked");

    assert_eq!(payload.downcast_ref::<&str>(), Some(&"init gives up"));
    assert_eq!(PANICKY.get(), (1, 0, 0));
    assert_eq!(objlife::live_count::<Panicky>(), 0);
}

static SULKY: Counts = Counts::new();

#[repr(C)]
struct Sulky {
    header: Header,
    tracker: Tracker,
}

unsafe impl Object for Sulky {}

impl Type for Sulky {
    const NAME: &'static str = "sulky";
    type Args = ();

    fn init(_: ()) -> Result<Self, Error> {
        SULKY.inits.fetch_add(1, SeqCst);
        Ok(Sulky {
            header: Header::new(),
            tracker: Tracker(&SULKY),
        })
    }

    fn release(&mut self) {
        SULKY.releases.fetch_add(1, SeqCst);
        panic!("release gives up");
    }
}

#[test]
fn panic_in_release_is_resumed_by_the_last_drop_and_the_fields_still_drop() {
    let r = Ref::<Sulky>::new(()).unwrap();
    let other = r.clone();

    drop(other); // not the last: no release, no panic
    let payload = panic::catch_unwind(panic::AssertUnwindSafe(|| drop(r))).expect_err("drop panicked");

    assert_eq!(payload.downcast_ref::<&str>(), Some(&"release gives up"));
    assert_eq!(SULKY.get(), (1, 1, 1));
    assert_eq!(objlife::live_count::<Sulky>(), 0);
}

#[test]
fn into_raw_and_from_raw_hand_the_reference_over() {
    counted_type!(Handed, HANDED, Ok);
    let r = Ref::<Handed>::new(3).unwrap();
    let raw = Ref::into_raw(r);

    assert_eq!(unsafe { sys::objlife_refcount(raw as *const sys::objlife) }, 1);
    assert_eq!(HANDED.get(), (1, 0, 0));
    let back = unsafe { Ref::from_raw(raw) };
    assert_eq!(Ref::refcount(&back), 1);
    assert_eq!(back.value, 3);
    drop(back);
    assert_eq!(HANDED.get(), (1, 1, 1));
    assert_eq!(objlife::live_count::<Handed>(), 0);
}

#[test]
fn retain_takes_a_new_reference() {
    counted_type!(Retained, RETAINED, Ok);
    let r = Ref::<Retained>::new(0).unwrap();
    let raw = Ref::as_ptr(&r);
    let again = unsafe { Ref::retain(raw) };

    assert_eq!(Ref::refcount(&r), 2);
    drop(r);
    assert_eq!(Ref::refcount(&again), 1);
    assert_eq!(RETAINED.get(), (1, 0, 0));
    drop(again);
    assert_eq!(RETAINED.get(), (1, 1, 1));
    assert_eq!(objlife::live_count::<Retained>(), 0);
}

#[test]
fn type_name_is_the_rust_name() {
    counted_type!(Named, NAMED, Ok);
    let r = Ref::<Named>::new(0).unwrap();

    assert_eq!(Ref::type_name(&r).to_str(), Ok("Named"));
}

#[test]
fn objects_of_one_type_share_one_ops_table() {
    counted_type!(Shared, SHARED, Ok);
    let a = Ref::<Shared>::new(0).unwrap();
    let b = Ref::<Shared>::new(0).unwrap();
    let ops_of = |r: &Ref<Shared>| unsafe { sys::objlife_ops_of(Ref::as_ptr(r) as *const sys::objlife) };

    assert_eq!(ops_of(&a), ops_of(&b));
    assert_eq!(objlife::live_count::<Shared>(), 2);
    drop((a, b));
    assert_eq!(objlife::live_count::<Shared>(), 0);
}

#[test]
fn live_counts_are_per_type() {
    counted_type!(Left, LEFT, Ok);
    counted_type!(Right, RIGHT, Ok);
    let l: Vec<_> = (0..3).map(|i| Ref::<Left>::new(i).unwrap()).collect();
    let r = Ref::<Right>::new(0).unwrap();

    assert_eq!(objlife::live_count::<Left>(), 3);
    assert_eq!(objlife::live_count::<Right>(), 1);
    assert!(objlife::live_count_all() >= 4);
    drop(l);
    assert_eq!(objlife::live_count::<Left>(), 0);
    assert_eq!(objlife::live_count::<Right>(), 1);
    drop(r);
    assert_eq!(objlife::live_count::<Right>(), 0);
    assert_eq!((LEFT.get(), RIGHT.get()), ((3, 3, 3), (1, 1, 1)));
}

#[test]
fn four_threads_clone_one_ref() {
    counted_type!(Busy, BUSY, Ok);
    assert_send_sync::<Ref<Busy>>();
    let shared = Ref::<Busy>::new(0).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mine = shared.clone();
            thread::spawn(move || {
                let mut kept = Vec::new();
                for i in 0..20_000 {
                    let copy = mine.clone();
                    if i % 8 == 0 {
                        kept.push(copy);
                    }
                }
                Ref::refcount(&mine) > kept.len() as u32
            })
        })
        .collect();

    for t in threads {
        assert!(t.join().unwrap());
    }
    assert_eq!(Ref::refcount(&shared), 1);
    assert_eq!(BUSY.get(), (1, 0, 0));
    drop(shared);
    assert_eq!(BUSY.get(), (1, 1, 1));
    assert_eq!(objlife::live_count::<Busy>(), 0);
}

#[test]
fn the_last_drop_on_another_thread_releases_there() {
    counted_type!(Travelling, TRAVELLING, Ok);
    let r = Ref::<Travelling>::new(9).unwrap();
    let here = thread::current().id();
    let there = thread::spawn(move || {
        assert_eq!(r.value, 9);
        drop(r);
        thread::current().id()
    })
    .join()
    .unwrap();

    assert_ne!(here, there);
    assert_eq!(TRAVELLING.get(), (1, 1, 1));
    assert_eq!(objlife::live_count::<Travelling>(), 0);
}

#[test]
fn a_ref_inside_an_object_is_dropped_with_it() {
    counted_type!(Inner, INNER, Ok);
    static OUTER_DROPS: AtomicUsize = AtomicUsize::new(0);

    #[repr(C)]
    struct Outer {
        header: Header,
        inner: Ref<Inner>,
    }
    unsafe impl Object for Outer {}
    impl Type for Outer {
        const NAME: &'static str = "outer";
        type Args = Ref<Inner>;
        fn init(inner: Ref<Inner>) -> Result<Self, Error> {
            Ok(Outer {
                header: Header::new(),
                inner,
            })
        }
        fn release(&mut self) {
            OUTER_DROPS.fetch_add(1, SeqCst);
        }
    }

    let inner = Ref::<Inner>::new(0).unwrap();
    let outer = Ref::<Outer>::new(inner.clone()).unwrap();
    assert_eq!(Ref::refcount(&inner), 2);
    drop(inner);
    assert_eq!(Ref::refcount(&outer.inner), 1);
    drop(outer);
    assert_eq!(OUTER_DROPS.load(SeqCst), 1);
    assert_eq!(INNER.get(), (1, 1, 1));
    assert_eq!(objlife::live_count::<Inner>() + objlife::live_count::<Outer>(), 0);
}

#[test]
fn alignment_of_the_type_is_honoured() {
    #[repr(C, align(256))]
    struct Wide {
        header: Header,
        bytes: [u8; 8],
    }
    unsafe impl Object for Wide {}
    impl Type for Wide {
        const NAME: &'static str = "wide";
        type Args = ();
        fn init(_: ()) -> Result<Self, Error> {
            Ok(Wide {
                header: Header::new(),
                bytes: [7; 8],
            })
        }
    }

    let w = Ref::<Wide>::new(()).unwrap();
    assert_eq!(Ref::as_ptr(&w) as usize % 256, 0);
    assert_eq!(w.bytes, [7; 8]);
    drop(w);
    assert_eq!(objlife::live_count::<Wide>(), 0);
}

// A type written the C way, through the raw API: Ref<Header> holds it
// without knowing its layout.
static C_RELEASES: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn c_release(_obj: *mut sys::objlife) {
    C_RELEASES.fetch_add(1, SeqCst);
}

struct COps(sys::objlife_ops);
unsafe impl Sync for COps {}

static C_OPS: COps = COps(sys::objlife_ops {
    name: b"c-type\0".as_ptr() as *const _,
    init: None,
    release: Some(c_release),
    alloc: None,
    free: None,
    cache: 0,
});

#[test]
fn a_ref_to_a_header_holds_an_object_of_a_c_type() {
    let obj = unsafe { sys::objlife_alloc_size(&C_OPS.0, 64, 8, ptr::null_mut::<c_void>()) };
    assert!(!obj.is_null());
    let r = unsafe { Ref::from_raw(obj as *mut Header) };
    let again = unsafe { Ref::retain(obj as *mut Header) };

    assert_eq!(Ref::type_name(&r), CStr::from_bytes_with_nul(b"c-type\0").unwrap());
    assert_eq!(Ref::refcount(&r), 2);
    assert_eq!(unsafe { sys::objlife_live_count(&C_OPS.0) }, 1);
    drop(r);
    assert_eq!(C_RELEASES.load(SeqCst), 0);
    drop(again);
    assert_eq!(C_RELEASES.load(SeqCst), 1);
    assert_eq!(unsafe { sys::objlife_live_count(&C_OPS.0) }, 0);
}

#[test]
fn errors_read_as_errno() {
    let e = Error::from_errno(2);

    assert_eq!(e.errno(), 2);
    assert_eq!(io::Error::from(e).kind(), io::ErrorKind::NotFound);
    assert_eq!(e.to_string(), io::Error::from_raw_os_error(2).to_string());
    assert!(format!("{:?}", e).contains("errno: 2"));
}
