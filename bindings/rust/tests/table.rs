// SPDX-License-Identifier: LGPL-2.1-or-later
//! objlife::Table against the library just built: register returns the
//! key, lookup a Ref of its own, unregister withdraws and waits with a
//! timeout, errors carry the errno, visit lends each object to a closure
//! that may withdraw it, the request closure is called when a wait starts
//! and kept as long as the table may call it, and dropping the table
//! withdraws what is left. Each test has a type of its own, so that the
//! tests can run in parallel and still check live counts back to zero.

use objlife::{Error, Header, Object, Ref, Table, Type};
use std::env;
use std::io;
use std::ops::ControlFlow;
use std::panic;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// counted_type!(Type, RELEASES): a type whose releases are counted.
macro_rules! counted_type {
    ($ty:ident, $releases:ident) => {
        static $releases: AtomicUsize = AtomicUsize::new(0);

        #[repr(C)]
        struct $ty {
            header: Header,
            value: u64,
        }

        unsafe impl Object for $ty {}

        impl Type for $ty {
            const NAME: &'static str = stringify!($ty);
            type Args = u64;

            fn init(value: u64) -> Result<Self, Error> {
                Ok($ty {
                    header: Header::new(),
                    value,
                })
            }

            fn release(&mut self) {
                $releases.fetch_add(1, SeqCst);
            }
        }
    };
}

const EBUSY: i32 = 16; // Linux's, as the tests' other literal errnos

fn ms(n: u64) -> Option<Duration> {
    Some(Duration::from_millis(n))
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn register_lookup_unregister_round_trip() {
    counted_type!(Trip, TRIP);
    let table = Table::<Trip>::new("rust-round-trip").unwrap();
    let r = Ref::<Trip>::new(7).unwrap();
    let key = table.register(&r).unwrap();

    assert_eq!(key, 1);
    assert_eq!(Ref::refcount(&r), 2); // the table's own
    assert_eq!(table.count(), 1);
    {
        let found = table.lookup(key).expect("registered");
        assert!(Ref::ptr_eq(&found, &r));
        assert_eq!(found.value, 7);
        assert_eq!(Ref::refcount(&r), 3);
    }
    assert!(table.lookup(key + 1).is_none());
    table.unregister(&r, None).unwrap();
    assert_eq!(table.count(), 0);
    assert!(table.lookup(key).is_none());
    assert_eq!(Ref::refcount(&r), 1);
    assert_eq!(TRIP.load(SeqCst), 0);
    // Out of the table: it may be registered again.
    assert_eq!(table.register_with_key(&r, 40).unwrap(), 40);
    table.unregister(&r, Some(Duration::ZERO)).unwrap();
    drop(r);
    assert_eq!(TRIP.load(SeqCst), 1);
    assert_eq!(objlife::live_count::<Trip>(), 0);
}

#[test]
fn picked_keys_count_up_past_every_key_used() {
    counted_type!(Keyed, KEYED);
    let table = Table::<Keyed>::new("rust-keys").unwrap();
    let refs: Vec<_> = (0..3).map(|i| Ref::<Keyed>::new(i).unwrap()).collect();

    assert_eq!(table.register(&refs[0]).unwrap(), 1);
    assert_eq!(table.register_with_key(&refs[1], 1 << 40).unwrap(), 1 << 40);
    assert_eq!(table.register(&refs[2]).unwrap(), (1 << 40) + 1);
    assert_eq!(table.lookup(1 << 40).unwrap().value, 1);
    for r in &refs {
        table.unregister(r, None).unwrap();
    }
    drop(refs);
    assert_eq!(KEYED.load(SeqCst), 3);
}

#[test]
fn errors_carry_the_errno_and_change_nothing() {
    counted_type!(Refused, REFUSED);
    let table = Table::<Refused>::new("rust-errors").unwrap();
    let other = Table::<Refused>::new("rust-errors-other").unwrap();
    let a = Ref::<Refused>::new(0).unwrap();
    let b = Ref::<Refused>::new(0).unwrap();
    let key = table.register(&a).unwrap();

    let e = table.register_with_key(&b, key).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    assert_eq!(table.register(&a).unwrap_err().errno(), EBUSY);
    assert_eq!(other.register(&a).unwrap_err().errno(), EBUSY);
    assert_eq!((Ref::refcount(&a), Ref::refcount(&b), table.count()), (2, 1, 1));
    assert_eq!(table.unregister(&b, None).unwrap_err().kind(), io::ErrorKind::NotFound);
    assert_eq!(other.unregister(&a, ms(10)).unwrap_err().kind(), io::ErrorKind::NotFound);
    assert!(Ref::ptr_eq(&table.lookup(key).unwrap(), &a));
    table.unregister(&a, None).unwrap();
    assert_eq!(table.unregister(&a, None).unwrap_err().kind(), io::ErrorKind::NotFound);
    assert_eq!(Table::<Refused>::new("nul\0inside").unwrap_err().kind(), io::ErrorKind::InvalidInput);
    drop((a, b));
    assert_eq!(REFUSED.load(SeqCst), 2);
}

#[test]
fn unregister_times_out_while_another_reference_is_held() {
    counted_type!(Held, HELD);
    let table = Table::<Held>::new("rust-timeout").unwrap();
    let r = Ref::<Held>::new(0).unwrap();
    let key = table.register(&r).unwrap();
    let other = r.clone();
    let start = Instant::now();

    let e = table.unregister(&r, ms(50)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    // The library counts whole milliseconds: 49.x ms may be its 50.
    assert!(start.elapsed() >= Duration::from_millis(45));
    // Withdrawn all the same: no lookup finds it, and it does not count.
    assert!(table.lookup(key).is_none());
    assert_eq!(table.count(), 0);
    assert_eq!(Ref::refcount(&r), 2); // the table's is gone
    drop(other);
    table.unregister(&r, ms(50)).unwrap();
    assert_eq!(Ref::refcount(&r), 1);
    drop(r);
    assert_eq!(HELD.load(SeqCst), 1);
}

#[test]
fn visit_lends_each_object_and_stops_on_break() {
    counted_type!(Visited, VISITED);
    let table = Table::<Visited>::new("rust-visit").unwrap();
    let refs: Vec<_> = (0..5).map(|i| Ref::<Visited>::new(i * 10).unwrap()).collect();
    for r in &refs {
        table.register(r).unwrap();
    }

    let mut seen = Vec::new();
    let done: Option<()> = table
        .visit(|obj, key| {
            assert_eq!(Ref::refcount(obj), 3); // refs', the table's, the visit's
            seen.push((key, obj.value));
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(done.is_none());
    seen.sort_unstable();
    assert_eq!(seen, vec![(1, 0), (2, 10), (3, 20), (4, 30), (5, 40)]);

    let mut calls = 0;
    let stopped = table.visit(|obj, _| {
        calls += 1;
        if calls == 2 {
            ControlFlow::Break(obj.value)
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(calls, 2);
    assert!(matches!(stopped, Ok(Some(_))));

    let payload = panic::catch_unwind(panic::AssertUnwindSafe(|| {
        let _ = table.visit(|_, _| -> ControlFlow<()> { panic!("visitor gives up") });
    }))
    .expect_err("the panic goes through");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"visitor gives up"));

    // A shutdown: objects withdrawn from inside the visit, whose reference
    // is then the only one left, and released when the visit drops it.
    let third = Ref::as_ptr(&refs[2]);
    drop(refs);
    let mut kept = None;
    table
        .visit(|obj, key| {
            if key == 3 {
                kept = Some(obj.clone());
            } else {
                table.unregister(obj, None).unwrap();
            }
            ControlFlow::<()>::Continue(())
        })
        .unwrap();
    assert_eq!(VISITED.load(SeqCst), 4);
    assert_eq!(table.count(), 1);
    let kept = kept.unwrap();
    assert_eq!(Ref::as_ptr(&kept), third);
    table.unregister(&kept, None).unwrap();
    drop(kept);
    assert_eq!(VISITED.load(SeqCst), 5);
}

#[test]
fn request_is_called_when_the_wait_starts() {
    counted_type!(Requested, REQUESTED);
    let table = Table::<Requested>::new("rust-request").unwrap();
    let r = Ref::<Requested>::new(0).unwrap();
    table.register(&r).unwrap();
    let other = Arc::new(Mutex::new(Some(r.clone())));
    let calls = Arc::new(Mutex::new(Vec::new()));

    let record = calls.clone();
    table.set_request(Some(Box::new(move |obj: &Ref<Requested>, waited: Duration| {
        record.lock().unwrap().push((Ref::as_ptr(obj) as usize, waited));
    })));
    assert_eq!(table.unregister(&r, ms(50)).unwrap_err().kind(), io::ErrorKind::TimedOut);
    assert_eq!(*calls.lock().unwrap(), vec![(Ref::as_ptr(&r) as usize, Duration::ZERO)]);

    // A request that makes the holder let go: the wait ends.
    let holder = other.clone();
    table.set_request(Some(Box::new(move |_: &Ref<Requested>, _: Duration| {
        holder.lock().unwrap().take();
    })));
    table.unregister(&r, None).unwrap();
    assert!(other.lock().unwrap().is_none());
    assert_eq!(calls.lock().unwrap().len(), 1); // the first closure was replaced
    assert_eq!(Ref::refcount(&r), 1);

    // No holder but the caller: no wait, no call.
    table.set_request(None);
    table.register(&r).unwrap();
    table.unregister(&r, None).unwrap();
    drop(r);
    assert_eq!(REQUESTED.load(SeqCst), 1);
}

#[test]
fn the_table_keeps_the_request_closure_until_replaced_or_dropped() {
    counted_type!(Kept, KEPT);
    let token = Arc::new(());
    {
        let table = Table::<Kept>::new("rust-request-life").unwrap();
        let t = token.clone();
        table.set_request(Some(Box::new(move |_: &Ref<Kept>, _: Duration| {
            let _ = &t;
        })));
        assert_eq!(Arc::strong_count(&token), 2);
        table.set_request(Some(Box::new(|_: &Ref<Kept>, _: Duration| {})));
        assert_eq!(Arc::strong_count(&token), 1);
        let t = token.clone();
        table.set_request(Some(Box::new(move |_: &Ref<Kept>, _: Duration| {
            let _ = &t;
        })));
        let moved = table; // the closure goes with the table
        assert_eq!(Arc::strong_count(&token), 2);
        assert_eq!(moved.name().to_str(), Ok("rust-request-life"));
    }
    assert_eq!(Arc::strong_count(&token), 1);
    assert_eq!(KEPT.load(SeqCst), 0);
}

#[test]
fn a_panic_in_the_request_closure_is_resumed_by_unregister() {
    counted_type!(Nudged, NUDGED);
    let table = Table::<Nudged>::new("rust-request-panic").unwrap();
    let r = Ref::<Nudged>::new(0).unwrap();
    table.register(&r).unwrap();
    let other = r.clone();

    table.set_request(Some(Box::new(|_: &Ref<Nudged>, _: Duration| panic!("request gives up"))));
    let payload = panic::catch_unwind(panic::AssertUnwindSafe(|| table.unregister(&r, ms(20))))
        .expect_err("unregister resumes the panic");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"request gives up"));
    // The wait went on to its end: the object is withdrawn, still held.
    assert_eq!(table.count(), 0);
    assert_eq!(Ref::refcount(&r), 2);
    drop(other);
    table.unregister(&r, Some(Duration::ZERO)).unwrap();
    drop(r);
    assert_eq!(NUDGED.load(SeqCst), 1);
}

#[test]
fn dropping_the_table_withdraws_what_nobody_else_holds() {
    counted_type!(Dropped, DROPPED);
    {
        let table = Table::<Dropped>::new("rust-drop").unwrap();
        for i in 0..3 {
            table.register(&Ref::<Dropped>::new(i).unwrap()).unwrap(); // then only the table holds it
        }
        assert_eq!(DROPPED.load(SeqCst), 0);
    }
    assert_eq!(DROPPED.load(SeqCst), 3);
    assert_eq!(objlife::live_count::<Dropped>(), 0);
}

// A table dropped while a withdrawn object is still held elsewhere cannot
// be freed: the registration ends at that object's last drop. The drop
// says so on stderr, which the test reads from a run of itself.
#[test]
fn dropping_the_table_while_an_object_is_held_says_so() {
    counted_type!(Busy, BUSY);
    if env::var_os("OBJLIFE_TABLE_TEST_CHILD").is_some() {
        let r = Ref::<Busy>::new(0).unwrap();
        {
            let table = Table::<Busy>::new("rust-busy").unwrap();
            table.register(&r).unwrap();
        }
        assert_eq!(Ref::refcount(&r), 1); // the table's reference is gone
        drop(r);
        assert_eq!(BUSY.load(SeqCst), 1);
        return;
    }
    let out = Command::new(env::current_exe().unwrap())
        .args([
            "--exact",
            "dropping_the_table_while_an_object_is_held_says_so",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("OBJLIFE_TABLE_TEST_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}", stderr);
    assert!(
        stderr.contains(
            "objlife: table \"rust-busy\" dropped while objects withdrawn from it are still held elsewhere (1 now"
        ),
        "{}",
        stderr
    );
}

#[test]
fn lookups_on_threads_while_unregistering() {
    counted_type!(Shared, SHARED);
    assert_send_sync::<Table<Shared>>();
    let table = Arc::new(Table::<Shared>::new("rust-threads").unwrap());
    let r = Ref::<Shared>::new(0).unwrap();
    let key = table.register(&r).unwrap();
    let withdrawn = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let table = table.clone();
            let withdrawn = withdrawn.clone();
            let mine = r.clone();
            thread::spawn(move || {
                while !withdrawn.load(SeqCst) {
                    if let Some(found) = table.lookup(key) {
                        assert!(Ref::ptr_eq(&found, &mine));
                    }
                }
                drop(mine);
                (0..1000).filter(|_| table.lookup(key).is_some()).count()
            })
        })
        .collect();

    thread::sleep(Duration::from_millis(5));
    // The threads' own clones are still held: wait for nobody, then flag.
    assert_eq!(table.unregister(&r, Some(Duration::ZERO)).unwrap_err().kind(), io::ErrorKind::TimedOut);
    withdrawn.store(true, SeqCst);
    for t in threads {
        assert_eq!(t.join().unwrap(), 0);
    }
    table.unregister(&r, None).unwrap();
    assert_eq!(Ref::refcount(&r), 1);
    drop(r);
    assert_eq!(SHARED.load(SeqCst), 1);
}
