# SPDX-License-Identifier: LGPL-2.1-or-later
"""objlife.Table: register returns the key, lookup a Ref of its own (or
None), unregister withdraws and waits with a timeout, errors are OSError
with the errno, visit and the request callable get Refs valid during the
call, and close() withdraws what is left, warning when the C table must
stay allocated for objects still held elsewhere."""

import errno
import gc
import sys
import threading
import time
import warnings
import weakref

import objlife
import support


class TestTable(support.TestCase):
    def setUp(self):
        super().setUp()
        self.t = self.track(support.CountingType("py-table-" + self._testMethodName))
        self.table = objlife.Table("py-" + self._testMethodName)

    def tearDown(self):
        self.table.close()
        super().tearDown()

    def assertErrno(self, code, exc_type, fn, *args, **kwargs):
        with self.assertRaises(exc_type) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.errno, code)
        return cm.exception

    def test_register_lookup_unregister_round_trip(self):
        r = self.t.new()
        key = self.table.register(r)

        self.assertEqual(key, 1)
        self.assertEqual(r.refcount, 2)   # the table's own
        self.assertEqual(self.table.count(), 1)
        with self.table.lookup(key) as found:
            self.assertIsInstance(found, objlife.Ref)
            self.assertEqual(found.address, r.address)
            self.assertIs(found.type, self.t.type)
            self.assertEqual(r.refcount, 3)
        self.assertIsNone(self.table.lookup(key + 1))
        self.table.unregister(r)
        self.assertEqual(self.table.count(), 0)
        self.assertIsNone(self.table.lookup(key))
        self.assertEqual(r.refcount, 1)
        self.assertEqual(self.t.releases, 0)
        # Out of the table: it may be registered again.
        self.assertEqual(self.table.register(r, 40), 40)
        self.table.unregister(r, timeout=0)
        r.close()
        self.assertEqual(self.t.releases, 1)

    def test_picked_keys_count_up_past_every_key_used(self):
        a, b, c = self.t.new(), self.t.new(), self.t.new()

        self.assertEqual(self.table.register(a), 1)
        self.assertEqual(self.table.register(b, key=2 ** 40), 2 ** 40)
        self.assertEqual(self.table.register(c), 2 ** 40 + 1)
        with self.table.lookup(2 ** 40) as found:
            self.assertEqual(found.address, b.address)
        for r in (a, b, c):
            self.table.unregister(r)
            r.close()

    def test_errors_are_oserror_with_the_errno(self):
        a, b = self.t.new(), self.t.new()
        key = self.table.register(a)

        e = self.assertErrno(errno.EEXIST, FileExistsError, self.table.register, b, key)
        self.assertIn(self.table.name, str(e))
        self.assertErrno(errno.EBUSY, OSError, self.table.register, a)
        with objlife.Table("py-other") as other:
            self.assertErrno(errno.EBUSY, OSError, other.register, a)
            self.assertErrno(errno.ENOENT, FileNotFoundError, other.unregister, a, 0.01)
        self.assertErrno(errno.ENOENT, FileNotFoundError, self.table.unregister, b)
        self.assertEqual((a.refcount, b.refcount, self.table.count()), (2, 1, 1))
        self.table.unregister(a)
        self.assertErrno(errno.ENOENT, FileNotFoundError, self.table.unregister, a)
        a.close()
        b.close()

    def test_bad_arguments_are_refused_before_the_library(self):
        r = self.t.new()

        with self.assertRaises(TypeError):
            self.table.register(r.address)
        with self.assertRaises(ValueError):
            self.table.register(r, -1)
        with self.assertRaises(ValueError):
            self.table.register(r, 2 ** 64)
        with self.assertRaises(TypeError):
            self.table.lookup("1")
        with self.assertRaises(ValueError):
            self.table.unregister(r, timeout=-1)
        with self.assertRaises(TypeError):
            self.table.set_request(42)
        r.close()
        with self.assertRaises(ValueError):
            self.table.register(r)   # a closed Ref
        with self.assertRaises(TypeError):
            objlife.Table(b"bytes")
        with self.assertRaises(ValueError):
            objlife.Table("nul\0inside")

    def test_unregister_times_out_while_another_reference_is_held(self):
        r = self.t.new()
        key = self.table.register(r)
        other = r.clone()
        start = time.monotonic()

        e = self.assertErrno(errno.ETIMEDOUT, TimeoutError, self.table.unregister, r, timeout=0.05)
        self.assertGreaterEqual(time.monotonic() - start, 0.045)
        self.assertIsInstance(e, OSError)
        # Withdrawn all the same: no lookup finds it, and it does not count.
        self.assertIsNone(self.table.lookup(key))
        self.assertEqual(self.table.count(), 0)
        self.assertEqual(r.refcount, 2)   # the table's is gone
        other.close()
        self.table.unregister(r, timeout=0.05)
        self.assertEqual(r.refcount, 1)
        r.close()
        self.assertEqual(self.t.releases, 1)

    def test_unregister_releases_the_gil_while_it_waits(self):
        r = self.t.new()
        self.table.register(r)
        other = r.clone()
        closer = threading.Timer(0.05, other.close)   # Python code on another thread

        closer.start()
        try:
            self.table.unregister(r, timeout=30)
        finally:
            closer.join()
        self.assertEqual(r.refcount, 1)
        r.close()

    def test_visit_gives_each_object_and_stops_on_a_true_result(self):
        refs = [self.t.new() for _ in range(5)]
        for r in refs:
            self.table.register(r)
        seen = {}
        given = []

        def record(ref, key):
            self.assertEqual(ref.refcount, 3)   # refs', the table's, the visit's
            seen[key] = ref.address
            given.append(ref)

        self.assertIsNone(self.table.visit(record))
        self.assertEqual(seen, {i + 1: r.address for i, r in enumerate(refs)})
        self.assertTrue(all(ref.closed for ref in given))   # valid during the call only

        calls = []
        self.assertEqual(self.table.visit(lambda ref, key: calls.append(key) or (len(calls) == 2 and "stop")),
                         "stop")
        self.assertEqual(len(calls), 2)

        def fail(ref, key):
            raise KeyError(key)

        with self.assertRaises(KeyError):
            self.table.visit(fail)

        # A shutdown: objects withdrawn from inside the visit, whose Ref is
        # the only reference left, and released when the visit closes it.
        third = refs[2].address
        for r in refs:
            r.close()
        kept = []

        def shutdown(ref, key):
            if key == 3:
                kept.append(ref.clone())
            else:
                self.table.unregister(ref)

        self.table.visit(shutdown)
        self.assertEqual(self.t.releases, 4)
        self.assertEqual(self.table.count(), 1)
        self.assertEqual(kept[0].address, third)
        self.table.unregister(kept[0])
        kept[0].close()
        self.assertEqual(self.t.releases, 5)

    def test_request_is_called_when_the_wait_starts(self):
        r = self.t.new()
        self.table.register(r)
        other = r.clone()
        calls = []

        self.table.set_request(lambda ref, waited_s: calls.append((ref.address, ref.refcount, waited_s)))
        with self.assertRaises(TimeoutError):
            self.table.unregister(r, timeout=0.05)
        # The caller's, other's, and the call's own Ref.
        self.assertEqual(calls, [(r.address, 3, 0)])

        # A request that makes the holder let go: the wait ends.
        self.table.set_request(lambda ref, waited_s: other.close())
        self.table.unregister(r)
        self.assertTrue(other.closed)
        self.assertEqual(len(calls), 1)   # the first callable was replaced
        self.assertEqual(r.refcount, 1)

        # No holder but the caller: no wait, no call.
        self.table.set_request(None)
        self.table.register(r)
        self.table.unregister(r)
        r.close()

    def test_the_table_keeps_the_request_callable_alive(self):
        r = self.t.new()
        self.table.register(r)
        other = r.clone()
        calls = []

        class Nudge:
            def __call__(self, ref, waited_s):
                calls.append(waited_s)

        nudge = Nudge()
        gone = weakref.ref(nudge)
        self.table.set_request(nudge)
        del nudge
        gc.collect()
        self.assertIsNotNone(gone())   # nobody but the table holds it
        with self.assertRaises(TimeoutError):
            self.table.unregister(r, timeout=0.05)
        self.assertEqual(calls, [0])
        self.table.set_request(None)
        gc.collect()
        self.assertIsNone(gone())
        other.close()
        self.table.unregister(r, timeout=0)
        r.close()

        self.table.set_request(Nudge())
        self.table.close()   # the table's callable goes with it
        self.assertEqual(objlife._tables.get(self.table._state.token), None)

    def test_an_exception_from_the_request_callable_is_unraisable(self):
        r = self.t.new()
        self.table.register(r)
        other = r.clone()
        unraisable = []

        def request(ref, waited_s):
            raise RuntimeError("request fails")

        old_hook = sys.unraisablehook
        sys.unraisablehook = unraisable.append
        try:
            self.table.set_request(request)
            with self.assertRaises(TimeoutError):
                self.table.unregister(r, timeout=0.05)
        finally:
            sys.unraisablehook = old_hook
        self.assertEqual(len(unraisable), 1)
        self.assertIsInstance(unraisable[0].exc_value, RuntimeError)
        unraisable.clear()   # the record holds the frames
        other.close()
        self.table.unregister(r, timeout=0)
        self.assertEqual(r.refcount, 1)   # the call's Ref was closed
        r.close()

    def test_close_withdraws_what_nobody_else_holds(self):
        with objlife.Table("py-closing") as table:
            for _ in range(3):
                with self.t.new() as r:
                    table.register(r)   # then only the table holds it
            self.assertEqual(self.t.releases, 0)
        self.assertTrue(table.closed)
        self.assertEqual(self.t.releases, 3)
        table.close()   # a second close does nothing
        with self.assertRaises(ValueError):
            table.lookup(1)
        with self.assertRaises(ValueError):
            table.count()
        self.assertIn("closed", repr(table))

    def test_an_unclosed_table_is_freed_when_collected(self):
        table = objlife.Table("py-collected")
        with self.t.new() as r:
            table.register(r)
        del table
        gc.collect()
        self.assertEqual(self.t.releases, 1)

    def test_closing_while_an_object_is_held_warns_and_keeps_the_table(self):
        r = self.t.new()
        table = objlife.Table("py-busy")
        table.register(r)
        abandoned = len(objlife._abandoned)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table.close()
        self.assertEqual(len(caught), 1)
        self.assertIs(caught[0].category, RuntimeWarning)
        self.assertIn("table 'py-busy' closed while objects withdrawn from it are still held elsewhere (1 now",
                      str(caught[0].message))
        self.assertEqual(len(objlife._abandoned), abandoned + 1)
        self.assertEqual(r.refcount, 1)   # the table's reference is gone
        r.close()                          # and the registration ends here
        self.assertEqual(self.t.releases, 1)

    def test_lookups_on_threads_while_unregistering(self):
        r = self.t.new()
        key = self.table.register(r)
        withdrawn = threading.Event()
        found_after = []
        errors = []

        def look():
            try:
                while not withdrawn.is_set():
                    found = self.table.lookup(key)
                    if found is not None:
                        if found.address != r.address:
                            errors.append(found.address)
                        found.close()
                found_after.append(sum(self.table.lookup(key) is not None for _ in range(100)))
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=look) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.02)
        self.table.unregister(r, timeout=30)
        withdrawn.set()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(found_after, [0, 0, 0])
        self.assertEqual(r.refcount, 1)
        r.close()
