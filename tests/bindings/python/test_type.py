# SPDX-License-Identifier: LGPL-2.1-or-later
"""objlife.ObjectType: init on zeroed memory with a count of 1, an init
that raises makes new() raise it and release never runs, release exactly
once on the last put, views valid only during their call, and the type
kept alive exactly as long as objects of it may still call it."""

import gc
import sys
import weakref

import objlife
import support


class InitRefused(Exception):
    pass


class Interrupted(BaseException):
    pass


class TestObjectType(support.TestCase):
    def test_new_returns_a_ref_owning_the_only_reference(self):
        t = self.track(support.CountingType("py-new"))
        r = t.new()

        self.assertIsInstance(r, objlife.Ref)
        self.assertEqual(r.refcount, 1)
        self.assertIs(r.type, t.type)
        self.assertEqual(r.type_name, "py-new")
        self.assertEqual((t.inits, t.releases, t.live), (1, 0, 1))
        r.close()
        self.assertEqual((t.inits, t.releases, t.live), (1, 1, 0))

    def test_init_sees_a_count_of_one_and_zeroed_bytes(self):
        t = self.track(support.CountingType("py-zeroed", size=24))
        with t.new():
            pass

        self.assertEqual(t.seen_by_init, [(1, bytes(24))])

    def test_what_init_writes_is_in_the_object(self):
        def init(obj):
            obj.buffer[0:5] = b"hello"
            obj.buffer[7] = 0xff

        t = objlife.ObjectType("py-writes", size=8, init=init)
        with t.new() as r:
            self.assertEqual(bytes(r.buffer), b"hello\0\0\xff")
            r.buffer[0] = ord("j")
            self.assertEqual(bytes(r.buffer[:5]), b"jello")
        self.assertEqual(objlife.live_count(t), 0)

    def test_init_that_raises_makes_new_raise_it_and_release_never_runs(self):
        t = self.track(support.CountingType("py-init-raises"))
        t.init_error = InitRefused("no thanks")

        with self.assertRaises(InitRefused) as caught:
            t.new()
        self.assertIs(caught.exception, t.init_error)
        self.assertEqual((t.inits, t.releases, t.live), (1, 0, 0))

    def test_init_raising_a_base_exception_is_carried_too(self):
        t = self.track(support.CountingType("py-init-interrupted"))
        t.init_error = Interrupted()

        with self.assertRaises(Interrupted):
            t.new()
        self.assertEqual((t.inits, t.releases, t.live), (1, 0, 0))

    def test_init_oserror_keeps_its_errno(self):
        t = self.track(support.CountingType("py-init-oserror"))
        t.init_error = OSError(28, "full")

        with self.assertRaises(OSError) as caught:
            t.new()
        self.assertEqual(caught.exception.errno, 28)
        self.assertEqual(t.releases, 0)

    def test_release_runs_once_on_the_last_put_and_sees_the_bytes(self):
        t = self.track(support.CountingType("py-release", size=4))
        r = t.new()
        r.buffer[:] = b"abcd"
        clones = [r.clone() for _ in range(5)]

        r.close()
        for c in clones[:-1]:
            c.close()
        self.assertEqual(t.releases, 0)
        clones[-1].close()
        self.assertEqual(t.releases, 1)
        self.assertEqual(t.seen_by_release, [(0, b"abcd")])

    def test_release_that_raises_is_reported_and_the_object_still_goes(self):
        def release(obj):
            raise RuntimeError("release failed")

        t = objlife.ObjectType("py-release-raises", release=release)
        seen = []
        old_hook = sys.unraisablehook
        sys.unraisablehook = seen.append
        try:
            t.new().close()
        finally:
            sys.unraisablehook = old_hook
        self.assertEqual(len(seen), 1)
        self.assertIsInstance(seen[0].exc_value, RuntimeError)
        self.assertEqual(objlife.live_count(t), 0)

    def test_a_view_used_after_its_call_raises_valueerror(self):
        kept = {}

        def init(obj):
            kept["view"] = obj
            kept["buffer"] = obj.buffer

        t = objlife.ObjectType("py-stale-view", size=8, init=init)
        with t.new():
            pass
        for attribute in ("address", "refcount", "type_name", "buffer", "type"):
            with self.assertRaises(ValueError, msg=attribute):
                getattr(kept["view"], attribute)
        with self.assertRaises(ValueError):
            kept["buffer"][0] = 1
        with self.assertRaises(ValueError):
            bytes(kept["buffer"])
        self.assertIn("expired", repr(kept["view"]))

    def test_a_release_view_is_stale_after_release(self):
        kept = []
        t = objlife.ObjectType("py-stale-release-view", size=4, release=kept.append)
        t.new().close()

        self.assertEqual(len(kept), 1)
        with self.assertRaises(ValueError):
            kept[0].refcount

    def test_size_zero_has_an_empty_buffer(self):
        t = objlife.ObjectType("py-empty")
        with t.new() as r:
            self.assertEqual(len(r.buffer), 0)
            self.assertEqual(r.refcount, 1)
        self.assertEqual(objlife.live_count(t), 0)

    def test_new_inside_init_is_its_own_allocation(self):
        inner = self.track(support.CountingType("py-inner"))
        made = []

        def init(obj):
            made.append(inner.new())   # re-entrant new(): another type, another call

        def release(obj):
            made.pop().close()

        outer = objlife.ObjectType("py-outer", init=init, release=release)
        with outer.new():
            self.assertEqual((inner.inits, inner.live), (1, 1))
        self.assertEqual((inner.releases, inner.live, objlife.live_count(outer)), (1, 0, 0))

    def test_the_type_lives_while_an_object_of_it_does(self):
        counts = {"releases": 0}

        def release(obj):
            counts["releases"] += 1

        t = objlife.ObjectType("py-orphan", release=release)
        alive = weakref.ref(t)
        address = t.new().detach()   # a reference no Ref holds
        del t
        gc.collect()
        self.assertIsNotNone(alive(), "the type went away under a live object")

        objlife.Ref.adopt(address).close()
        self.assertEqual(counts["releases"], 1)
        gc.collect()
        self.assertIsNone(alive(), "the type outlived its last object")

    def test_bad_arguments_are_refused(self):
        with self.assertRaises(TypeError):
            objlife.ObjectType(b"bytes")
        with self.assertRaises(ValueError):
            objlife.ObjectType("")
        with self.assertRaises(ValueError):
            objlife.ObjectType("a\0b")
        with self.assertRaises(ValueError):
            objlife.ObjectType("t", size=-1)
        with self.assertRaises(TypeError):
            objlife.ObjectType("t", size=1.5)
        with self.assertRaises(TypeError):
            objlife.ObjectType("t", init=42)
        with self.assertRaises(TypeError):
            objlife.ObjectType("t", release="no")

    def test_name_size_and_repr(self):
        t = objlife.ObjectType("py-named", size=3)

        self.assertEqual((t.name, t.size), ("py-named", 3))
        self.assertIn("py-named", repr(t))
