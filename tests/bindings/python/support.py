# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared by the test modules: a type that counts its init and release
calls, and the C helper library (tests/bindings/helper.c)."""

import ctypes
import os
import unittest

import objlife


class CountingType:
    """An ObjectType whose init and release count their calls and record
    what they saw. init_error, when set, is raised by init."""

    def __init__(self, name, size=16):
        self.inits = 0
        self.releases = 0
        self.init_error = None
        self.seen_by_init = []      # (refcount, bytes of the buffer)
        self.seen_by_release = []   # (refcount, bytes of the buffer)
        self.type = objlife.ObjectType(name, size=size, init=self._init, release=self._release)

    def _init(self, obj):
        self.inits += 1
        self.seen_by_init.append((obj.refcount, bytes(obj.buffer)))
        if self.init_error is not None:
            raise self.init_error

    def _release(self, obj):
        self.releases += 1
        self.seen_by_release.append((obj.refcount, bytes(obj.buffer)))

    def new(self):
        return self.type.new()

    @property
    def live(self):
        return objlife.live_count(self.type)


def load_helper():
    """The C helper library, its functions declared."""
    path = os.environ.get("OBJLIFE_TEST_HELPER")
    if not path:
        raise RuntimeError("OBJLIFE_TEST_HELPER is not set: run the tests through tests/bindings/python.sh")
    lib = ctypes.CDLL(path)
    lib.helper_new.restype = ctypes.c_void_p
    lib.helper_new.argtypes = []
    lib.helper_value.restype = ctypes.c_int32
    lib.helper_value.argtypes = [ctypes.c_void_p]
    lib.helper_get.argtypes = [ctypes.c_void_p]
    lib.helper_put.argtypes = [ctypes.c_void_p]
    lib.helper_live_count.restype = ctypes.c_size_t
    lib.helper_put_in_thread.argtypes = [ctypes.c_void_p]
    return lib


class TestCase(unittest.TestCase):
    """Checks after each case that every object of the types it registered
    with track() is gone."""

    def setUp(self):
        self._tracked = []

    def track(self, counting):
        self._tracked.append(counting)
        return counting

    def tearDown(self):
        for counting in self._tracked:
            self.assertEqual(counting.live, 0, "objects of %s left alive" % counting.type.name)
