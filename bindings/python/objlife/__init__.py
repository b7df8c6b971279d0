# SPDX-License-Identifier: LGPL-2.1-or-later
"""objlife - libobjlife's reference-counted objects from Python (ctypes).

A Ref owns exactly one reference to an objlife object and drops it exactly
once: at close(), at the end of a ``with`` block, or, for a Ref nobody
closed, when it is garbage-collected (and at the latest at interpreter
exit). Types defined in Python get the C library's lifecycle: init runs
once on zeroed memory; if it raises, new() raises the same exception, the
memory goes back and release never runs; release runs exactly once, on the
last put, wherever that put happens (Python or C, any thread).

    import objlife

    def init(obj):
        obj.buffer[0:5] = b"hello"

    session = objlife.ObjectType("session", size=64, init=init)
    with session.new() as ref:
        other = ref.clone()          # refcount 2
        other.close()                # refcount 1
    assert objlife.live_count(session) == 0

Lifetimes the package takes care of:

- A type's ops table (and its name) is never freed, like a `static const`
  table in C: the C library reads it up to the moment an object's memory
  is freed, which may be after the last Python reference to the type is
  gone. The ctypes callbacks are module-level and never freed either.
- An ObjectType stays alive, with its init and release callables, while
  any object of it is alive, whoever holds the references (a C table, a
  Ref, nobody yet).
- Views and buffers handed out are released when they stop being valid:
  using them afterwards raises ValueError. (A slice or cast taken from a
  buffer is a separate memoryview that the package cannot see; do not keep
  one beyond the object's lifetime.)

A Ref is not locked: two threads may each use their own Ref to the same
object, but must not close one Ref while another thread uses it.

A Table publishes objects under integer keys: lookup() finds them from
any thread, unregister() withdraws one and waits for its other holders:

    with objlife.Table("sessions") as sessions:
        key = sessions.register(ref)          # the table's own reference
        found = sessions.lookup(key)          # a Ref of its own, or None
        found.close()
        sessions.unregister(ref, timeout=5)   # TimeoutError: still held elsewhere
"""

import ctypes
import errno as _errno
import itertools
import math
import os
import sys
import threading
import warnings
import weakref

from . import _library
from ._library import lib as _lib

__all__ = [
    "ObjectType",
    "ObjectView",
    "Ref",
    "Table",
    "live_count",
    "leak_check",
    "library_path",
]

__version__ = "0.1.0"

#: The file the C library was loaded from.
library_path = _library.path

# An object's own bytes start right after the header.
_HEADER_SIZE = ctypes.sizeof(_library.Header)
# Alignment of objects made by ObjectType.new(): enough for any C type
# (max_align_t on the common 64-bit ABIs).
_ALIGN = 16

# What an init that raised returns to the C library; new() raises the
# stored exception instead of turning this into an OSError.
_INIT_RAISED = getattr(_errno, "ECANCELED", _errno.EINVAL)

# Re-entrant: a Ref's finalizer may run (and a release callback with it)
# in the middle of any allocation, including one made while this is held.
_lock = threading.RLock()
# ops address -> [ObjectType, number of its objects alive]. Holds the type
# (and its callables) while any object of it may still call release.
_live = {}
# id(_NewCall) -> _NewCall, for the duration of ObjectType.new().
_pending = {}
# Every ops table ever built: never freed (see the module docstring).
_ops_tables = []


def _as_address(pointer):
    """An int address from an int, a ctypes pointer or c_void_p; rejects NULL."""
    if isinstance(pointer, bool):
        raise TypeError("objlife: an address is an int or a ctypes pointer, not a bool")
    if isinstance(pointer, int):
        address = pointer
    elif isinstance(pointer, ctypes.c_void_p):
        address = pointer.value
    elif isinstance(pointer, ctypes._Pointer):
        address = ctypes.cast(pointer, ctypes.c_void_p).value
    else:
        raise TypeError("objlife: an address is an int or a ctypes pointer, not %r" % type(pointer).__name__)
    if not address:
        raise ValueError("objlife: NULL is not an object")
    if address < 0:
        raise ValueError("objlife: %d is not an address" % address)
    return address


def _memoryview_at(address, size):
    """A writable, byte-addressed memoryview of size bytes at address."""
    raw = memoryview((ctypes.c_ubyte * size).from_address(address))
    view = raw.cast("B")   # ctypes exports "<B", which memoryview cannot index
    raw.release()
    return view


def _release_memoryview(view):
    try:
        view.release()
    except BufferError:
        # Someone exported it further (e.g. ctypes' from_buffer): that user
        # took the lifetime into their own hands; nothing more to invalidate.
        pass


def _type_of(address):
    """The ObjectType of a live object, or None for a type defined in C."""
    ops = _lib.objlife_ops_of(address)
    with _lock:
        entry = _live.get(ops)
    return entry[0] if entry is not None else None


class _Owned:
    """An object's address and the memoryview made of it, held apart from
    the view or Ref that shows them: a Ref's finalizer holds this, never
    the Ref itself (which would keep it from being collected)."""

    __slots__ = ("address", "buffer")

    def __init__(self, address):
        self.address = address
        self.buffer = None

    def forget_buffer(self):
        if self.buffer is not None:
            _release_memoryview(self.buffer)
            self.buffer = None


class _ObjectAccess:
    """What a view and a Ref both show of an object, through their _owned
    (an _Owned) and _type; _checked_address() raises ValueError once that
    access is no longer valid."""

    __slots__ = ()

    def _checked_address(self):
        raise NotImplementedError

    @property
    def type(self):
        """The ObjectType, or None for an object of a type defined in C."""
        self._checked_address()
        return self._type

    @property
    def buffer(self):
        """A writable memoryview of the object's `size` bytes after the
        header; released when the view expires or the Ref is closed.
        TypeError for a type defined in C (its size is not known here)."""
        address = self._checked_address()
        if self._owned.buffer is None:
            self._owned.buffer = self._new_buffer(address)
        return self._owned.buffer

    @property
    def address(self):
        """The object's address (an int), e.g. to pass to C."""
        return self._checked_address()

    @property
    def refcount(self):
        """The current reference count (stale as soon as it is read when
        other threads hold references); 0xc0000000 once saturated."""
        return _lib.objlife_refcount(self._checked_address())

    @property
    def type_name(self):
        """The name of the object's type (its ops table's name)."""
        ops = _lib.objlife_ops_of(self._checked_address())
        return _library.Ops.from_address(ops).name.decode("utf-8", "replace")

    def _new_buffer(self, address):
        objtype = self.type
        if objtype is None:
            raise TypeError(
                "objlife: %s is a type defined in C; its size is not known to "
                "Python, use .address with ctypes" % self.type_name
            )
        return _memoryview_at(address + _HEADER_SIZE, objtype.size)


class ObjectView(_ObjectAccess):
    """A borrowed view of an object, given to init and release.

    Valid only during that call: afterwards every attribute, and the
    memoryview .buffer returned, raise ValueError. It owns no reference.
    """

    __slots__ = ("_owned", "_type")

    def __init__(self, *args, **kwargs):
        raise TypeError("objlife: views are made by the library for init and release")

    @classmethod
    def _make(cls, address, objtype):
        self = object.__new__(cls)
        self._owned = _Owned(address)
        self._type = objtype
        return self

    def _checked_address(self):
        if self._owned.address is None:
            raise ValueError("objlife: a view is valid only during the init or release call it was given to")
        return self._owned.address

    def _invalidate(self):
        self._owned.address = None
        self._owned.forget_buffer()

    def __repr__(self):
        if self._owned.address is None:
            return "<objlife.ObjectView (expired)>"
        return "<objlife.ObjectView %s at 0x%x refcount=%d>" % (self.type_name, self._owned.address,
                                                                self.refcount)


def _drop(owned):
    """The finalizer: runs once, at close(), collection or exit."""
    owned.forget_buffer()
    _lib.objlife_put(owned.address)


class Ref(_ObjectAccess):
    """Owns one reference to an objlife object.

    Made by ObjectType.new(), Ref.adopt(), Ref.retain() and clone(). The
    reference is dropped exactly once: by close() (a second close does
    nothing), at the end of a ``with`` block, or by the finalizer when an
    unclosed Ref is collected or the interpreter exits. A closed Ref raises
    ValueError on every use but close() and closed.
    """

    __slots__ = ("_owned", "_finalizer", "_type", "__weakref__")

    def __init__(self, *args, **kwargs):
        raise TypeError("objlife: make a Ref with ObjectType.new(), Ref.adopt() or Ref.retain()")

    @classmethod
    def _own(cls, address, objtype):
        self = object.__new__(cls)
        self._owned = _Owned(address)
        self._type = objtype
        self._finalizer = weakref.finalize(self, _drop, self._owned)
        return self

    @classmethod
    def adopt(cls, address):
        """Takes over a reference the caller owns (e.g. returned by a C
        function that hands out a new reference): no get now, one put
        later. address is an int or a ctypes pointer; NULL raises ValueError."""
        address = _as_address(address)
        return cls._own(address, _type_of(address))

    @classmethod
    def retain(cls, address):
        """Takes a new reference (objlife_get); the caller keeps its own."""
        address = _as_address(address)
        _lib.objlife_get(address)
        return cls._own(address, _type_of(address))

    def _checked_address(self):
        if not self._finalizer.alive:
            raise ValueError("objlife: the Ref is closed")
        return self._owned.address

    @property
    def closed(self):
        """True once the reference was dropped (or detached)."""
        return not self._finalizer.alive

    def clone(self):
        """A new Ref with a reference of its own (objlife_get)."""
        address = self._checked_address()
        _lib.objlife_get(address)
        return type(self)._own(address, self._type)

    def close(self):
        """Drops the reference (objlife_put); the last one runs release.
        A second close does nothing."""
        self._finalizer()

    def detach(self):
        """Gives up ownership without a put and returns the address: the
        caller (typically C code) now owns the reference. The Ref is closed."""
        address = self._checked_address()
        if self._finalizer.detach() is None:
            raise ValueError("objlife: the Ref is closed")
        self._owned.forget_buffer()
        return address

    def __enter__(self):
        self._checked_address()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __copy__(self):
        return self.clone()

    def __deepcopy__(self, memo):
        return self.clone()

    def __reduce__(self):
        raise TypeError("objlife: a Ref cannot be pickled; pass .address to code in this process")

    def __repr__(self):
        if self.closed:
            return "<objlife.Ref (closed)>"
        return "<objlife.Ref %s at 0x%x refcount=%d>" % (self.type_name, self._owned.address, self.refcount)


class _NewCall:
    """One ObjectType.new() in progress: how init's exception gets back."""

    __slots__ = ("type", "error")

    def __init__(self, objtype):
        self.type = objtype
        self.error = None


def _init_trampoline(address, token):
    """ops->init for every Python type: must never let an exception out
    (ctypes would print it and return 0, i.e. success)."""
    call = None
    try:
        call = _pending.get(token)
        if call is None:
            return -_errno.EINVAL  # the ops table was used by something else than new()
        objtype = call.type
        # Counted before init runs: nothing may fail after a successful init.
        with _lock:
            entry = _live.setdefault(objtype._ops_address, [objtype, 0])
            entry[1] += 1
        view = ObjectView._make(address, objtype)
        try:
            if objtype._init is not None:
                objtype._init(view)
        except BaseException:
            with _lock:
                _forget_one(objtype._ops_address)
            raise
        finally:
            view._invalidate()
        return 0
    except BaseException as e:
        if call is not None:
            call.error = e
        return -_INIT_RAISED


def _release_trampoline(address):
    """ops->release for every Python type; runs once per object, on
    whichever thread made the last put. An exception goes to
    sys.unraisablehook (ctypes reports it); the object is freed anyway."""
    ops = _lib.objlife_ops_of(address)
    with _lock:
        entry = _live.get(ops)
    try:
        if entry is not None and entry[0]._release is not None:
            view = ObjectView._make(address, entry[0])
            try:
                entry[0]._release(view)
            finally:
                view._invalidate()
    finally:
        with _lock:
            _forget_one(ops)


def _forget_one(ops):
    # Under _lock. The type may go away with its last object: safe, since
    # the callbacks and the ops table themselves are never freed.
    entry = _live.get(ops)
    if entry is not None:
        entry[1] -= 1
        if entry[1] == 0:
            del _live[ops]


_INIT = _library.INIT_FN(_init_trampoline)
_RELEASE = _library.RELEASE_FN(_release_trampoline)


class ObjectType:
    """A type of objlife object defined in Python.

    name:    the type's name in reports and leak listings.
    size:    bytes of the object's own, after the header, zeroed before
             init; reachable as .buffer.
    init:    None, or a callable init(view) run once on each new object
             (count 1). If it raises, new() raises the same exception, the
             memory is freed and release is never called for that object.
    release: None, or a callable release(view) run exactly once, on the
             last put, before the memory is freed.

    The view given to init and release is an ObjectView, valid only during
    that call.
    """

    def __init__(self, name, size=0, init=None, release=None):
        if not isinstance(name, str):
            raise TypeError("objlife: a type's name is a str")
        encoded = name.encode("utf-8")
        if not encoded or b"\0" in encoded:
            raise ValueError("objlife: a type's name is not empty and has no NUL character")
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError("objlife: size is an int")
        if size < 0:
            raise ValueError("objlife: size is at least 0")
        for what, fn in (("init", init), ("release", release)):
            if fn is not None and not callable(fn):
                raise TypeError("objlife: %s is None or a callable" % what)
        self._name = name
        self._size = size
        self._init = init
        self._release = release
        ops = _library.Ops(name=encoded, init=_INIT, release=_RELEASE)
        with _lock:
            _ops_tables.append(ops)   # never freed: see the module docstring
        self._ops = ops
        self._ops_address = ctypes.addressof(ops)

    @property
    def name(self):
        return self._name

    @property
    def size(self):
        return self._size

    def new(self):
        """A new object: returns a Ref that owns its only reference.

        Raises what init raised; MemoryError when memory is short; OSError
        with the errno for anything else the C library refuses.
        """
        call = _NewCall(self)
        token = id(call)
        _pending[token] = call
        try:
            address = _lib.objlife_alloc_size(self._ops, _HEADER_SIZE + self._size, _ALIGN, token)
            err = ctypes.get_errno()
        finally:
            del _pending[token]
        if address:
            return Ref._own(address, self)
        error, call.error = call.error, None
        if error is not None:
            try:
                raise error
            finally:
                error = None   # no cycle through the traceback's frames
        if err == _errno.ENOMEM:
            raise MemoryError("objlife: out of memory allocating a %s" % self._name)
        raise OSError(err, "objlife: cannot allocate a %s: %s" % (self._name, os.strerror(err)))

    def __repr__(self):
        return "<objlife.ObjectType %r size=%d>" % (self._name, self._size)


# ---------------------------------------------------------------------------
# Registration tables
# ---------------------------------------------------------------------------

# The data pointer the C library hands back to the trampolines below: an
# int token, never an address of a Python object.
_tokens = itertools.count(1)
# token -> _TableState, from a Table's creation until the C table can no
# longer call its request function (freed, or its request function cleared).
_tables = {}
# token -> _VisitCall, for the duration of one objlife_table_visit().
_visits = {}
# C tables that could not be freed (objects withdrawn from them were still
# held elsewhere when they were closed): never freed, see Table.close().
_abandoned = []

_INT_MAX = 2 ** 31 - 1
_KEY_MAX = 2 ** 64 - 1


def _request_trampoline(address, waited_s, token):
    """The request function of every table: calls the Table's current
    callable with a Ref valid during the call. An exception goes to
    sys.unraisablehook (ctypes reports it), as one from release does."""
    state = _tables.get(token)
    fn = state.request if state is not None else None
    if fn is None:
        return
    ref = Ref.retain(address)
    try:
        fn(ref, waited_s)
    finally:
        ref.close()


class _VisitCall:
    __slots__ = ("fn", "error")

    def __init__(self, fn):
        self.fn = fn
        self.error = None


def _visit_trampoline(address, key, token):
    """objlife_table_visit()'s fn: must never let an exception out (ctypes
    would print it and go on with the visit)."""
    call = _visits.get(token)
    if call is None:
        return 0
    try:
        return 1 if call.fn(address, key) else 0
    except BaseException as e:
        call.error = e
        return 1


_REQUEST = _library.REQUEST_FN(_request_trampoline)
_NO_REQUEST = _library.REQUEST_FN()   # NULL
_VISIT = _library.VISIT_FN(_visit_trampoline)


def _c_visit(handle, fn):
    """objlife_table_visit() calling fn(address, key), which holds a
    reference for the call and stops the visit by returning a true value.
    Returns the C result; raises what fn raised."""
    call = _VisitCall(fn)
    token = next(_tokens)
    _visits[token] = call
    try:
        err = _lib.objlife_table_visit(handle, _VISIT, token)
    finally:
        del _visits[token]
    error, call.error = call.error, None
    if error is not None:
        try:
            raise error
        finally:
            error = None   # no cycle through the traceback's frames
    return err


def _table_error(err, what, name):
    if err == _errno.ENOMEM:
        return MemoryError("objlife: out of memory: %s table %r" % (what, name))
    # OSError picks the subclass of the errno: FileExistsError for EEXIST,
    # FileNotFoundError for ENOENT, TimeoutError for ETIMEDOUT.
    return OSError(err, "objlife: cannot %s table %r: %s" % (what, name, os.strerror(err)))


def _key_of(key):
    if isinstance(key, bool) or not isinstance(key, int):
        raise TypeError("objlife: a key is an int")
    if not 0 <= key <= _KEY_MAX:
        raise ValueError("objlife: a key is between 0 and 2**64 - 1")
    return key


def _address_of_ref(ref):
    if not isinstance(ref, Ref):
        raise TypeError("objlife: a table registers and withdraws Refs, not %r" % type(ref).__name__)
    return ref._checked_address()


def _timeout_ms(timeout):
    """None: as long as it takes (-1). Seconds, rounded up to a
    millisecond; beyond INT_MAX ms, as long as it takes."""
    if timeout is None:
        return -1
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("objlife: timeout is None or a number of seconds")
    if not timeout >= 0:
        raise ValueError("objlife: timeout is None or a number of seconds, not negative")
    ms = timeout * 1000
    if ms > _INT_MAX:
        return -1
    return int(math.ceil(ms))


class _TableState:
    """A table's C handle and request callable, held apart from the Table:
    its finalizer and the request trampoline hold this, never the Table."""

    __slots__ = ("handle", "name", "token", "request")

    def __init__(self, handle, name):
        self.handle = handle
        self.name = name
        self.token = next(_tokens)
        self.request = None


def _withdraw_all(handle):
    """Withdraws, without waiting, every object still registered; returns
    how many are still held elsewhere."""
    held = [0]

    def withdraw(address, key):
        # The visit's reference is the one unregister needs.
        if _lib.objlife_unregister(handle, address, 0) == -_errno.ETIMEDOUT:
            held[0] += 1
        return False

    _c_visit(handle, withdraw)
    return held[0]


def _close_table(state):
    """The finalizer of a Table: runs once, at close(), collection or exit."""
    handle = state.handle
    err = _lib.objlife_table_free(handle)
    held = 0
    if err == -_errno.EBUSY:
        held = _withdraw_all(handle)
        err = _lib.objlife_table_free(handle)
    if err != 0:
        # No call to the request callable from now on; calls running on
        # other threads have returned.
        _lib.objlife_table_set_request(handle, _NO_REQUEST, None)
        _abandoned.append(handle)
    del _tables[state.token]
    state.request = None
    if err != 0:
        message = ("objlife: table %r closed while objects withdrawn from it are still held elsewhere "
                   "(%d now, more if an unregister timed out earlier); the table is never freed: "
                   "their last puts end their registrations" % (state.name, held))
        try:
            warnings.warn(message, RuntimeWarning, stacklevel=3)
        except Exception:   # late at interpreter exit
            sys.stderr.write(message + "\n")


class Table:
    """A registration table: objects published under integer keys.

    register(ref) publishes an object (the table takes a reference of its
    own) and returns its key; lookup(key) returns a Ref of its own, from
    any thread, without a lock; unregister(ref, timeout) withdraws it (no
    lookup finds it from then on) and waits for its other holders.

    Errors are OSError with the errno (FileExistsError, FileNotFoundError,
    TimeoutError for EEXIST, ENOENT, ETIMEDOUT), MemoryError for ENOMEM.

    close() (also at the end of a ``with`` block, or by the finalizer when
    an unclosed Table is collected or the interpreter exits) frees the
    table. Objects still registered are withdrawn first, without waiting:
    the ones nobody else holds are released. If an object withdrawn from
    it is still held elsewhere, its registration ends only at its last
    put, which needs the C table: the table is then never freed, its
    request callable is dropped, and a RuntimeWarning says so. A closed
    Table raises ValueError on every use but close() and closed.

    Every method may be called from several threads at once, but close(),
    which must not overlap another call on the same Table.
    """

    __slots__ = ("_state", "_finalizer", "__weakref__")

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError("objlife: a table's name is a str")
        encoded = name.encode("utf-8")
        if b"\0" in encoded:
            raise ValueError("objlife: a table's name has no NUL character")
        handle = _lib.objlife_table_new(encoded)
        if not handle:
            err = ctypes.get_errno()
            raise _table_error(err, "create", name)
        state = _TableState(handle, name)
        _tables[state.token] = state
        self._state = state
        self._finalizer = weakref.finalize(self, _close_table, state)

    def _checked_handle(self):
        if not self._finalizer.alive:
            raise ValueError("objlife: the Table is closed")
        return self._state.handle

    @property
    def name(self):
        return self._state.name

    @property
    def closed(self):
        return not self._finalizer.alive

    def register(self, ref, key=0):
        """Publishes ref's object under key, or under a key the table picks
        when key is 0 (one no object had in this table before); returns
        the key. The table takes a reference of its own; ref keeps its.
        Raises FileExistsError (EEXIST: another object, registered or
        being withdrawn, has the key), OSError EBUSY (the object is in a
        table already), EINVAL (a dying or saturated object), ENOSPC (no
        key left to pick), MemoryError; nothing changes then."""
        handle = self._checked_handle()
        address = _address_of_ref(ref)
        k = ctypes.c_uint64(_key_of(key))
        err = _lib.objlife_register(handle, address, ctypes.byref(k))
        if err:
            raise _table_error(-err, "register in", self._state.name)
        return k.value

    def lookup(self, key):
        """A new Ref to the object registered under key, or None: none is,
        or it is being withdrawn. Takes no lock."""
        handle = self._checked_handle()
        address = _lib.objlife_lookup(handle, _key_of(key))
        if not address:
            return None
        return Ref._own(address, _type_of(address))

    def unregister(self, ref, timeout=None):
        """Withdraws ref's object: no lookup finds it from now on, the
        table drops its reference. Then waits until no one but the callers
        of unregister holds it, at most timeout seconds (rounded up to a
        millisecond; None: as long as it takes, with a DRAIN_WAIT report
        after 1 s and every 10 s); the object is then out of the table and
        may be registered again. The GIL is released while it waits.

        Raises TimeoutError (ETIMEDOUT) when others still hold it: it stays
        withdrawn; call again to wait again, or close ref and the last
        holder's put ends the registration. FileNotFoundError (ENOENT): not
        in this table."""
        handle = self._checked_handle()
        address = _address_of_ref(ref)
        err = _lib.objlife_unregister(handle, address, _timeout_ms(timeout))
        if err:
            raise _table_error(-err, "unregister from", self._state.name)

    def count(self):
        """How many objects are registered (withdrawn ones not counted)."""
        return _lib.objlife_table_count(self._checked_handle())

    def visit(self, fn):
        """Calls fn(ref, key) for every object registered when the call
        starts and still registered at its turn. ref is a Ref of its own,
        closed when fn returns (clone() it to keep a reference); fn may
        call anything, unregister(ref) included (a shutdown that withdraws
        every object). A true value returned by fn stops the visit and is
        returned; otherwise visit returns None. An exception from fn stops
        it and propagates."""
        if not callable(fn):
            raise TypeError("objlife: visit() takes a callable")
        handle = self._checked_handle()
        keys = []
        err = _c_visit(handle, lambda address, key: keys.append(key))
        if err:
            raise _table_error(-err, "visit", self._state.name)
        for key in keys:
            ref = self.lookup(key)
            if ref is None:
                continue   # withdrawn since
            try:
                result = fn(ref, key)
            finally:
                ref.close()
            if result:
                return result
        return None

    def set_request(self, fn):
        """fn(ref, waited_s) is called on the thread in unregister() when a
        wait for other holders starts (waited_s 0) and with each DRAIN_WAIT
        report (1, 11, 21 ... s), to ask the holders to let go. ref is
        valid during the call (clone() it to keep a reference). None: no
        callable. The table keeps fn until it is replaced or the table is
        closed. An exception from fn goes to sys.unraisablehook. Returns
        once calls to the previous callable on other threads have
        returned."""
        if fn is not None and not callable(fn):
            raise TypeError("objlife: set_request() takes a callable or None")
        handle = self._checked_handle()
        self._state.request = fn
        # Always the same function and token: the callable is looked up
        # at each call, so that concurrent calls cannot install a stale one.
        _lib.objlife_table_set_request(handle, _REQUEST, self._state.token)

    def close(self):
        """Frees the table (see the class documentation); a second close
        does nothing."""
        self._finalizer()

    def __enter__(self):
        self._checked_handle()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __reduce__(self):
        raise TypeError("objlife: a Table cannot be pickled")

    def __repr__(self):
        if self.closed:
            return "<objlife.Table %r (closed)>" % self._state.name
        return "<objlife.Table %r count=%d>" % (self._state.name, self.count())


def live_count(type=None):
    """How many objects of type (an ObjectType) are alive; None counts
    every type, C ones included. Objects passed to objlife_may_leak() are
    not counted."""
    if type is None:
        return _lib.objlife_live_count(None)
    if not isinstance(type, ObjectType):
        raise TypeError("objlife: live_count() takes an ObjectType or None")
    return _lib.objlife_live_count(type._ops_address)


def leak_check(file=None):
    """How many objects are alive now (as live_count()). With file (an
    int file descriptor or an object with fileno()), the C library also
    writes its listing of them there (one LEAK line per type; allocation
    stacks when OBJLIFE_DEBUG contains "leaks")."""
    if file is None:
        return _lib.objlife_leak_check(None)
    if hasattr(file, "flush"):
        file.flush()
    fd = file if isinstance(file, int) else file.fileno()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fdopen.restype = ctypes.c_void_p
    libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    dup = os.dup(fd)
    stream = libc.fdopen(dup, b"a")
    if not stream:
        err = ctypes.get_errno()
        os.close(dup)
        raise OSError(err, os.strerror(err))
    try:
        return _lib.objlife_leak_check(stream)
    finally:
        libc.fclose(stream)   # flushes, closes dup
