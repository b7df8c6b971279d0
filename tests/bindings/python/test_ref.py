# SPDX-License-Identifier: LGPL-2.1-or-later
"""objlife.Ref owns exactly one reference: clone() gets, close() puts
once, a with block puts on exit, the finalizer puts what nobody closed,
and a closed Ref refuses every use with ValueError."""

import copy
import gc
import os
import pickle
import subprocess
import sys
import threading

import objlife
import support


class TestRef(support.TestCase):
    def setUp(self):
        super().setUp()
        self.t = self.track(support.CountingType("py-ref-" + self._testMethodName))

    def test_clone_takes_a_reference_and_close_drops_it(self):
        r = self.t.new()
        c = r.clone()

        self.assertEqual(c.address, r.address)
        self.assertEqual(r.refcount, 2)
        c.close()
        self.assertEqual(r.refcount, 1)
        self.assertEqual(self.t.releases, 0)
        r.close()
        self.assertEqual(self.t.releases, 1)

    def test_a_second_close_does_nothing(self):
        r = self.t.new()
        keep = r.clone()

        r.close()
        r.close()
        self.assertTrue(r.closed)
        self.assertEqual(keep.refcount, 1)
        keep.close()
        self.assertEqual(self.t.releases, 1)

    def test_with_block_puts_on_exit(self):
        with self.t.new() as r:
            self.assertFalse(r.closed)
            self.assertEqual(r.refcount, 1)
        self.assertTrue(r.closed)
        self.assertEqual(self.t.releases, 1)

    def test_with_block_puts_when_the_body_raises(self):
        with self.assertRaises(KeyError):
            with self.t.new():
                raise KeyError("boom")
        self.assertEqual(self.t.releases, 1)

    def test_finalizer_puts_a_reference_nobody_closed(self):
        r = self.t.new()
        keep = r.clone()

        del r
        gc.collect()
        self.assertEqual(keep.refcount, 1)
        del keep
        gc.collect()
        self.assertEqual(self.t.releases, 1)

    def test_finalizer_puts_a_ref_caught_in_a_cycle(self):
        holder = []
        holder.append((self.t.new(), holder))   # a cycle only the collector can break

        del holder
        gc.collect()
        self.assertEqual(self.t.releases, 1)

    def test_a_ref_left_open_is_put_at_interpreter_exit(self):
        code = (
            "import objlife\n"
            "t = objlife.ObjectType('py-exit', release=lambda obj: print('released', obj.refcount))\n"
            "r = t.new()\n"
            "keep_alive_until_exit = [r, r.clone()]\n"
            "print('alive', objlife.live_count(t))\n"
        )
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        p = subprocess.run([sys.executable, "-B", "-c", code], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True, env=env, timeout=120)

        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split("\n"), ["alive 1", "released 0", ""])

    def test_a_closed_ref_raises_valueerror(self):
        r = self.t.new()
        r.close()

        for attribute in ("address", "refcount", "type_name", "buffer", "type"):
            with self.assertRaises(ValueError, msg=attribute):
                getattr(r, attribute)
        for method in (r.clone, r.detach, r.__enter__):
            with self.assertRaises(ValueError, msg=method.__name__):
                method()
        self.assertIn("closed", repr(r))
        self.assertEqual(self.t.releases, 1)

    def test_the_buffer_of_a_closed_ref_is_released(self):
        r = self.t.new()
        keep = r.clone()
        buf = r.buffer

        r.close()
        with self.assertRaises(ValueError):
            buf[0] = 1
        keep.buffer[0] = 1   # the object itself is alive, through keep
        keep.close()

    def test_detach_hands_the_reference_over(self):
        r = self.t.new()
        address = r.detach()

        self.assertTrue(r.closed)
        back = objlife.Ref.adopt(address)
        self.assertEqual(back.refcount, 1)
        self.assertIs(back.type, self.t.type)
        self.assertEqual(self.t.releases, 0)
        back.close()
        self.assertEqual(self.t.releases, 1)

    def test_copy_module_clones(self):
        r = self.t.new()
        c1 = copy.copy(r)
        c2 = copy.deepcopy(r)

        self.assertEqual(r.refcount, 3)
        for each in (r, c1, c2):
            each.close()
        self.assertEqual(self.t.releases, 1)

    def test_a_ref_cannot_be_pickled_or_built_directly(self):
        with self.t.new() as r:
            with self.assertRaises(TypeError):
                pickle.dumps(r)
            self.assertEqual(r.refcount, 1)
        with self.assertRaises(TypeError):
            objlife.Ref()
        with self.assertRaises(TypeError):
            objlife.ObjectView()

    def test_retain_by_address_takes_a_reference(self):
        r = self.t.new()
        again = objlife.Ref.retain(r.address)

        self.assertEqual(r.refcount, 2)
        self.assertIs(again.type, self.t.type)
        r.close()
        again.close()
        self.assertEqual(self.t.releases, 1)

    def test_null_and_non_addresses_are_refused(self):
        for bad in (0, None):
            with self.assertRaises((ValueError, TypeError)):
                objlife.Ref.adopt(bad)
            with self.assertRaises((ValueError, TypeError)):
                objlife.Ref.retain(bad)
        with self.assertRaises(TypeError):
            objlife.Ref.adopt("0x1234")
        with self.assertRaises(TypeError):
            objlife.Ref.adopt(True)

    def test_refs_cloned_and_closed_on_many_threads(self):
        r = self.t.new()
        errors = []

        def work():
            try:
                for _ in range(2000):
                    with r.clone():
                        pass
            except Exception as e:   # reported below, the thread cannot fail the test
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(errors, [])
        self.assertEqual(r.refcount, 1)
        r.close()
        self.assertEqual((self.t.inits, self.t.releases), (1, 1))

    def test_repr_names_the_type_and_count(self):
        with self.t.new() as r:
            self.assertIn(self.t.type.name, repr(r))
            self.assertIn("refcount=1", repr(r))


class TestCounts(support.TestCase):
    def test_live_count_follows_new_and_close(self):
        t = self.track(support.CountingType("py-live"))
        refs = [t.new() for _ in range(3)]

        self.assertEqual(objlife.live_count(t.type), 3)
        self.assertGreaterEqual(objlife.live_count(), 3)
        for r in refs:
            r.close()
        self.assertEqual(objlife.live_count(t.type), 0)

    def test_live_count_takes_only_a_type(self):
        with self.assertRaises(TypeError):
            objlife.live_count("py-live")

    def test_leak_check_counts_the_live_objects(self):
        t = self.track(support.CountingType("py-leak-check"))
        before = objlife.leak_check()
        r = t.new()

        self.assertEqual(objlife.leak_check(), before + 1)
        r.close()
        self.assertEqual(objlife.leak_check(), before)
