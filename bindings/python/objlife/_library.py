# SPDX-License-Identifier: LGPL-2.1-or-later
"""Finding libobjlife.so.0 and declaring the C functions the package calls.

The search order is fixed and documented (bindings/README.md):

1. ``OBJLIFE_LIBRARY``, a path to the library. When it is set it is the
   only candidate: a test run against a fresh build must not quietly fall
   back to an installed copy.
2. ``pkg-config --variable=libdir objlife`` (``$PKG_CONFIG`` names the
   program), then the library's file name in that directory.
3. The dynamic linker's own search path (``LD_LIBRARY_PATH``, ld.so.cache),
   and what ``ctypes.util.find_library("objlife")`` finds.

When nothing loads, ImportError lists every path tried with its reason.
"""

import ctypes
import ctypes.util
import os
import subprocess
import sys

__all__ = ["lib", "Header", "Ops", "INIT_FN", "RELEASE_FN", "REQUEST_FN", "VISIT_FN", "path"]

# The file names of soname 0, per platform.
if sys.platform == "darwin":
    _NAMES = ["libobjlife.0.dylib"]
elif sys.platform in ("win32", "cygwin"):
    _NAMES = ["libobjlife-0.dll", "cygobjlife-0.dll", "objlife-0.dll"]
else:
    _NAMES = ["libobjlife.so.0"]


def _pkg_config_libdir():
    """The libdir of objlife.pc, or None (no pkg-config, no objlife.pc)."""
    program = os.environ.get("PKG_CONFIG") or "pkg-config"
    try:
        out = subprocess.run(
            [program, "--variable=libdir", "objlife"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = out.stdout.decode("utf-8", "replace").strip()
    return libdir if out.returncode == 0 and libdir else None


def _load():
    tried = []

    def attempt(candidate, how):
        try:
            return ctypes.CDLL(candidate, use_errno=True), candidate
        except OSError as e:
            tried.append("%s (%s): %s" % (candidate, how, e))
            return None, None

    override = os.environ.get("OBJLIFE_LIBRARY")
    if override:
        handle, found = attempt(override, "OBJLIFE_LIBRARY")
        if handle is None:
            raise ImportError(
                "objlife: cannot load the library named by OBJLIFE_LIBRARY:\n  "
                + "\n  ".join(tried)
            )
        return handle, found

    libdir = _pkg_config_libdir()
    if libdir:
        for name in _NAMES:
            candidate = os.path.join(libdir, name)
            if os.path.exists(candidate):
                handle, found = attempt(candidate, "pkg-config libdir")
                if handle is not None:
                    return handle, found
            else:
                tried.append("%s (pkg-config libdir): no such file" % candidate)
    else:
        tried.append("pkg-config --variable=libdir objlife: no answer")

    names = list(_NAMES)
    found_name = ctypes.util.find_library("objlife")
    if found_name and found_name not in names:
        names.append(found_name)
    for name in names:
        handle, found = attempt(name, "system search path")
        if handle is not None:
            return handle, found

    raise ImportError(
        "objlife: libobjlife not found; set OBJLIFE_LIBRARY to its path, or "
        "install it where pkg-config or the dynamic linker finds it. Tried:\n  "
        + "\n  ".join(tried)
    )


lib, path = _load()


class Header(ctypes.Structure):
    """struct objlife. Its fields are private to the C library: the package
    uses only its size (the offset of an object's own bytes)."""

    _fields_ = [
        ("_ops", ctypes.c_void_p),
        ("_count", ctypes.c_uint32),
        ("_info", ctypes.c_uint32),
    ]


INIT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
RELEASE_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
# objlife_request_fn: (obj, waited_s, data).
REQUEST_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p)
# objlife_table_visit()'s fn: (obj, key, data) -> int.
VISIT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p)


class Ops(ctypes.Structure):
    """struct objlife_ops. alloc and free stay NULL: the library's allocator.
    cache stays 0 (ctypes zeroes fields not given): no per-thread cache of
    freed objects."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("init", INIT_FN),
        ("release", RELEASE_FN),
        ("alloc", ctypes.c_void_p),
        ("free", ctypes.c_void_p),
        ("cache", ctypes.c_uint),
    ]


def _declare(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_obj = ctypes.c_void_p
_declare("objlife_alloc_size", _obj, ctypes.POINTER(Ops), ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p)
_declare("objlife_get", _obj, _obj)
_declare("objlife_put", None, _obj)
_declare("objlife_refcount", ctypes.c_uint32, _obj)
_declare("objlife_ops_of", ctypes.c_void_p, _obj)
_declare("objlife_live_count", ctypes.c_size_t, ctypes.c_void_p)
_declare("objlife_leak_check", ctypes.c_size_t, ctypes.c_void_p)

_table = ctypes.c_void_p
_declare("objlife_table_new", _table, ctypes.c_char_p)
_declare("objlife_table_free", ctypes.c_int, _table)
_declare("objlife_register", ctypes.c_int, _table, _obj, ctypes.POINTER(ctypes.c_uint64))
_declare("objlife_lookup", _obj, _table, ctypes.c_uint64)
_declare("objlife_unregister", ctypes.c_int, _table, _obj, ctypes.c_int)
_declare("objlife_table_set_request", None, _table, REQUEST_FN, ctypes.c_void_p)
_declare("objlife_table_count", ctypes.c_size_t, _table)
_declare("objlife_table_visit", ctypes.c_int, _table, VISIT_FN, ctypes.c_void_p)
