# SPDX-License-Identifier: LGPL-2.1-or-later
"""References that cross between C and Python: Ref.adopt and Ref.retain
of pointers made by C (tests/bindings/helper.c), and puts made by C, also
from a thread Python never saw, on objects of a Python type."""

import ctypes
import tempfile

import objlife
import support


class TestCInterop(support.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = support.load_helper()

    def setUp(self):
        super().setUp()
        self.releases_before = self.c.helper_releases()

    def c_releases(self):
        return self.c.helper_releases() - self.releases_before

    def tearDown(self):
        super().tearDown()
        self.assertEqual(self.c.helper_live_count(), 0, "C objects left alive")

    def test_adopt_takes_over_a_reference_made_in_c(self):
        r = objlife.Ref.adopt(self.c.helper_new())

        self.assertEqual(r.refcount, 1)
        self.assertEqual(r.type_name, "c-helper")
        self.assertIsNone(r.type)
        self.assertEqual(self.c.helper_value(r.address), 42)
        r.close()
        self.assertEqual(self.c_releases(), 1)

    def test_retain_takes_a_reference_beside_the_c_one(self):
        p = self.c.helper_new()
        r = objlife.Ref.retain(p)

        self.assertEqual(r.refcount, 2)
        r.close()
        self.assertEqual(self.c_releases(), 0)
        self.assertEqual(self.c.helper_live_count(), 1)
        self.c.helper_put(p)
        self.assertEqual(self.c_releases(), 1)

    def test_adopt_accepts_ctypes_pointers(self):
        r = objlife.Ref.adopt(ctypes.c_void_p(self.c.helper_new()))
        s = objlife.Ref.retain(ctypes.cast(r.address, ctypes.POINTER(ctypes.c_int32)))

        self.assertEqual(r.refcount, 2)
        s.close()
        r.close()
        self.assertEqual(self.c_releases(), 1)

    def test_the_buffer_of_a_c_type_is_refused(self):
        with objlife.Ref.adopt(self.c.helper_new()) as r:
            with self.assertRaises(TypeError):
                r.buffer
        self.assertEqual(self.c_releases(), 1)

    def test_a_put_from_c_runs_the_python_release(self):
        t = self.track(support.CountingType("py-put-by-c"))
        address = t.new().detach()

        self.c.helper_put(address)
        self.assertEqual((t.inits, t.releases), (1, 1))

    def test_a_put_from_a_c_thread_runs_the_python_release_once(self):
        t = self.track(support.CountingType("py-put-by-c-thread"))
        r = t.new()
        self.c.helper_get(r.address)   # C's own reference, dropped on its thread

        self.assertEqual(self.c.helper_put_in_thread(r.address), 0)
        self.assertEqual((r.refcount, t.releases), (1, 0))
        address = r.detach()
        self.assertEqual(self.c.helper_put_in_thread(address), 0)
        self.assertEqual((t.inits, t.releases), (1, 1))
        self.assertEqual(t.seen_by_release[0][0], 0)

    def test_c_keeps_an_object_alive_after_python_closes(self):
        t = self.track(support.CountingType("py-kept-by-c", size=4))
        r = t.new()
        r.buffer[:] = b"keep"
        address = r.address
        self.c.helper_get(address)

        r.close()
        self.assertEqual(t.releases, 0)
        with objlife.Ref.retain(address) as again:   # found again, type and all
            self.assertIs(again.type, t.type)
            self.assertEqual(bytes(again.buffer), b"keep")
        self.c.helper_put(address)
        self.assertEqual(t.releases, 1)
        self.assertEqual(t.seen_by_release, [(0, b"keep")])

    def test_live_count_of_all_types_includes_c_ones(self):
        before = objlife.live_count()
        r = objlife.Ref.adopt(self.c.helper_new())

        self.assertEqual(objlife.live_count(), before + 1)
        r.close()
        self.assertEqual(objlife.live_count(), before)

    def test_leak_check_lists_live_objects_to_a_file(self):
        r = objlife.Ref.adopt(self.c.helper_new())
        with tempfile.TemporaryFile(mode="w+") as f:
            n = objlife.leak_check(f)
            f.seek(0)
            listing = f.read()
        r.close()

        self.assertGreaterEqual(n, 1)
        self.assertIn("LEAK", listing)
        self.assertIn("c-helper", listing)
