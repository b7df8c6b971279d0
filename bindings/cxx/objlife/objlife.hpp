// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * objlife.hpp - C++17 ownership of libobjlife references, header-only.
 *
 * objlife_cxx::ref<T> owns exactly one reference to a T whose first member
 * is a `struct objlife`: copying it takes a reference (objlife_get), moving
 * it steals one, destroying it drops one (objlife_put). A reference that
 * crosses between C and C++ says which way ownership goes:
 *
 *     auto s = objlife_cxx::ref<session>::adopt(session_new());   // C gave us its reference
 *     auto t = objlife_cxx::ref<session>::retain(table_lookup()); // C keeps its own; take one more
 *     session_register(t.release());                             // C takes ours over
 *
 * and objlife_cxx::make<T>(ops, arg) allocates through the library,
 * throwing std::system_error with the errno when it fails (init's error,
 * ENOMEM or EINVAL). Then, as in C, init either succeeded or nothing is
 * left and release never runs.
 *
 * The library neither constructs nor destroys T as a C++ object: memory
 * comes zeroed, ops->init is the constructor and ops->release the
 * destructor. T must be standard-layout (checked) and have its
 * `struct objlife` as first member (checked where you ask for it with
 * OBJLIFE_CXX_CHECK_HEADER, since C++17 cannot name "the first member" of
 * a type it is only given). A T with members that need constructing
 * (std::string, ...) builds them in init with placement new and destroys
 * them in release.
 *
 * objlife_cxx::table<T> owns a registration table: register_object()
 * publishes a ref<T> under a key, lookup() returns a ref<T> (or an empty
 * one), unregister() withdraws it and waits, with a std::chrono timeout,
 * for its other holders:
 *
 *     objlife_cxx::table<session> sessions("sessions");
 *     std::uint64_t id = sessions.register_object(s);          // the table's own reference
 *     if (auto found = sessions.lookup(id)) ...                 // a ref<session> of its own
 *     if (!sessions.unregister(s, std::chrono::seconds(5))) ... // still held elsewhere
 *
 * Thread safety is the library's: distinct ref objects may be copied and
 * destroyed concurrently even when they point to the same T; a single ref
 * object is no more thread-safe than a T*. A table may be used from any
 * number of threads at once, but for its destruction and move assignment.
 *
 * The namespace is objlife_cxx because C++ does not allow a namespace to
 * share the name of the global `struct objlife`.
 */
#ifndef OBJLIFE_OBJLIFE_HPP
#define OBJLIFE_OBJLIFE_HPP

#include <objlife.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#if __cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
# error "objlife/objlife.hpp needs C++17 (-std=c++17)"
#endif

/**
 * OBJLIFE_CXX_CHECK_HEADER(TYPE, MEMBER); - a static assertion that MEMBER
 * is a `struct objlife` at offset 0 of TYPE, the C macro objlife_alloc()'s
 * check for types that are only used through ref<T> and make<T>. Write it
 * after the struct, at namespace scope.
 */
#define OBJLIFE_CXX_CHECK_HEADER(TYPE, MEMBER)                                               \
	static_assert(std::is_same<decltype(TYPE::MEMBER), struct objlife>::value &&        \
			      offsetof(TYPE, MEMBER) == 0,                                    \
		      #TYPE "::" #MEMBER " must be a struct objlife and the first member")

namespace objlife_cxx {

/**
 * ref<T> - one owned reference to a T, or nothing.
 *
 * Empty when default-constructed, moved from, released or reset. All
 * operations are noexcept: a get or put cannot fail (misuse saturates the
 * count and is reported by the library, see objlife(7)).
 */
template <class T> class ref {
	// The header must be pointer-interconvertible with T: that holds for
	// the first member of a standard-layout class, and only there.
	static_assert(std::is_standard_layout<T>::value,
		      "objlife_cxx::ref<T>: T must be standard-layout, with struct objlife as its first member");
	static_assert(sizeof(T) >= sizeof(struct objlife) && alignof(T) >= alignof(struct objlife),
		      "objlife_cxx::ref<T>: T is too small to start with a struct objlife");

public:
	using element_type = T;

	/** Empty: owns nothing. */
	constexpr ref() noexcept = default;
	constexpr ref(std::nullptr_t) noexcept {}

	/** Takes over a reference the caller owns (as from a C function that
	 *  returns a new reference). NULL gives an empty ref. */
	[[nodiscard]] static ref adopt(T *p) noexcept { return ref(p); }

	/** Takes a new reference; the caller keeps its own. NULL gives an empty ref. */
	[[nodiscard]] static ref retain(T *p) noexcept
	{
		objlife_get(header(p));
		return ref(p);
	}

	/** Copy: one more reference to the same T. */
	ref(const ref &other) noexcept : p_(other.p_) { objlife_get(header(p_)); }

	/** Move: the reference changes owner; @other is left empty. */
	ref(ref &&other) noexcept : p_(std::exchange(other.p_, nullptr)) {}

	/** Copy and move assignment in one (by value, then swap): the reference
	 *  held before is dropped, after the new one is taken, so that
	 *  self-assignment cannot release the object. */
	ref &operator=(ref other) noexcept
	{
		swap(other);
		return *this;
	}

	ref &operator=(std::nullptr_t) noexcept
	{
		reset();
		return *this;
	}

	/** Drops the reference, if any: the last one runs release and frees T. */
	~ref() { objlife_put(header(p_)); }

	/** The object, or nullptr; the ref keeps its reference. */
	T *get() const noexcept { return p_; }
	T *operator->() const noexcept { return p_; }
	T &operator*() const noexcept { return *p_; }
	explicit operator bool() const noexcept { return p_ != nullptr; }

	/** Gives up ownership without a put: the caller now owns the
	 *  reference (hand it to C, or put it). Leaves the ref empty. */
	[[nodiscard]] T *release() noexcept { return std::exchange(p_, nullptr); }

	/** Drops the reference now and leaves the ref empty. */
	void reset() noexcept { objlife_put(header(std::exchange(p_, nullptr))); }

	/** The current count (stale as soon as it is read when other threads
	 *  hold references); 0 when empty, OBJLIFE_REFCOUNT_SATURATED after a
	 *  misuse. */
	std::uint32_t use_count() const noexcept { return objlife_refcount(header(p_)); }

	void swap(ref &other) noexcept { std::swap(p_, other.p_); }
	friend void swap(ref &a, ref &b) noexcept { a.swap(b); }

private:
	explicit ref(T *p) noexcept : p_(p) {}

	// A standard-layout T and its first member share their address.
	static struct objlife *header(T *p) noexcept { return reinterpret_cast<struct objlife *>(p); }

	T *p_ = nullptr;
};

/* Comparisons are of the pointers, as for std::shared_ptr: two refs are
 * equal when they own references to the same object. The order is
 * std::less's, a total order even across unrelated objects. */
template <class T> bool operator==(const ref<T> &a, const ref<T> &b) noexcept
{
	return a.get() == b.get();
}
template <class T> bool operator!=(const ref<T> &a, const ref<T> &b) noexcept
{
	return a.get() != b.get();
}
template <class T> bool operator<(const ref<T> &a, const ref<T> &b) noexcept
{
	return std::less<T *>()(a.get(), b.get());
}
template <class T> bool operator>(const ref<T> &a, const ref<T> &b) noexcept { return b < a; }
template <class T> bool operator<=(const ref<T> &a, const ref<T> &b) noexcept { return !(b < a); }
template <class T> bool operator>=(const ref<T> &a, const ref<T> &b) noexcept { return !(a < b); }
template <class T> bool operator==(const ref<T> &a, std::nullptr_t) noexcept { return !a; }
template <class T> bool operator==(std::nullptr_t, const ref<T> &a) noexcept { return !a; }
template <class T> bool operator!=(const ref<T> &a, std::nullptr_t) noexcept { return bool(a); }
template <class T> bool operator!=(std::nullptr_t, const ref<T> &a) noexcept { return bool(a); }

/**
 * make<T>() - allocate a T through the library and own its first reference.
 * @ops: the type (outlives every object of it, normally `static const`).
 * @arg: passed to ops->init.
 *
 * Returns a ref owning the new object's only reference. Throws
 * std::system_error(errno, std::generic_category()) when the library
 * returns NULL: the errno init returned, ENOMEM, or EINVAL for bad ops.
 * Then nothing stays allocated and ops->release was not called.
 */
template <class T> ref<T> make(const struct objlife_ops *ops, void *arg = nullptr)
{
	// ref<T>'s own static assertions check T.
	struct objlife *obj = objlife_alloc_size(ops, sizeof(T), alignof(T), arg);

	if (!obj) {
		int err = errno;   // before anything else can change it
		throw std::system_error(err, std::generic_category(), "objlife_alloc_size");
	}
	return ref<T>::adopt(reinterpret_cast<T *>(obj));
}

namespace detail {

// What a table's request callable is behind its type: shared, so that a
// call running on one thread keeps the callable alive while another
// thread replaces it.
struct request_base {
	virtual ~request_base() = default;
	virtual void call(struct objlife *obj, unsigned waited_s) noexcept = 0;
};

// A table's state, on the heap: the C table's request data points here,
// so the table<T> object itself may move.
struct table_state {
	struct objlife_table *raw = nullptr;
	std::string name;
	std::mutex request_lock;
	std::shared_ptr<request_base> request;   // under request_lock
	table_state *abandoned_next = nullptr;
};

// Tables destroyed while objects withdrawn from them were still held
// elsewhere: the C table must outlive those objects' registrations (their
// last put ends them), so it is never freed. Kept reachable here.
inline std::atomic<table_state *> abandoned_tables{nullptr};

// The C table's request function, installed by the first set_request():
// calls the callable current at the time of the call.
inline void request_trampoline(struct objlife *obj, unsigned waited_s, void *data) noexcept
{
	table_state *st = static_cast<table_state *>(data);
	std::shared_ptr<request_base> fn;
	{
		std::lock_guard<std::mutex> hold(st->request_lock);
		fn = st->request;
	}
	if (fn)
		fn->call(obj, waited_s);
}

// Withdraws every object still registered in @raw without waiting for
// its other holders; returns how many were still held elsewhere.
inline std::size_t withdraw_all(struct objlife_table *raw) noexcept
{
	struct ctx {
		struct objlife_table *raw;
		std::size_t held;
	} c{ raw, 0 };

	(void)objlife_table_visit(
		raw,
		[](struct objlife *obj, std::uint64_t, void *data) -> int {
			ctx *cp = static_cast<ctx *>(data);

			// The visit's reference is the one the call needs.
			if (objlife_unregister(cp->raw, obj, 0) == -ETIMEDOUT)
				cp->held++;
			return 0;
		},
		&c);
	return c.held;
}

// Frees @st's table, withdrawing what it still holds; when objects it
// withdrew are still held elsewhere, the table stays allocated for good
// and stderr says so.
inline void table_destroy(table_state *st) noexcept
{
	int err = objlife_table_free(st->raw);
	std::size_t held = 0;

	if (err == -EBUSY) {
		held = withdraw_all(st->raw);
		err = objlife_table_free(st->raw);
	}
	if (err == 0) {
		delete st;
		return;
	}
	// No call to the callable from now on; calls running on other
	// threads have returned.
	objlife_table_set_request(st->raw, nullptr, nullptr);
	std::shared_ptr<request_base> fn;
	{
		std::lock_guard<std::mutex> hold(st->request_lock);
		fn = std::move(st->request);
	}
	fn.reset();
	std::fprintf(stderr,
		     "objlife: table \"%s\" destroyed while objects withdrawn from it are still held "
		     "elsewhere (%zu now, more if an unregister timed out earlier); the table is never "
		     "freed: their last puts end their registrations\n",
		     st->name.c_str(), held);
	st->abandoned_next = abandoned_tables.load(std::memory_order_relaxed);
	while (!abandoned_tables.compare_exchange_weak(st->abandoned_next, st, std::memory_order_release,
						       std::memory_order_relaxed))
		;
}

[[noreturn]] inline void throw_errno(int err, const char *what)
{
	throw std::system_error(err, std::generic_category(), what);
}

} // namespace detail

/**
 * table<T> - a registration table (objlife_table_new(3)) whose objects
 * are T's: register_object() publishes one under a key, lookup() finds it
 * from any thread without a lock, unregister() withdraws it and waits for
 * its other holders.
 *
 * Owns the C table: not copyable, movable (the source is left empty, and
 * every call on an empty table fails with EINVAL or finds nothing).
 * Errors are thrown as std::system_error(errno, std::generic_category()),
 * as make() throws; a timed unregister() that runs out of time returns
 * false instead, as the standard library's timed waits do.
 *
 * The destructor frees the table. Objects still registered are withdrawn
 * first, without waiting (as a container's destructor drops its
 * references): the ones nobody else holds are released. When some object
 * withdrawn from it (then, or by an unregister() that timed out) is still
 * held elsewhere, its registration ends only at its last put, which needs
 * the C table: the table is then never freed, the request callable is
 * dropped, and one line on stderr says so. Withdraw every object before
 * the table goes to be sure it is freed.
 *
 * Every member may be called from any number of threads at once (the C
 * API is thread-safe), except that the destructor and move assignment
 * must not overlap another call on the same table.
 */
template <class T> class table {
	static_assert(std::is_standard_layout<T>::value,
		      "objlife_cxx::table<T>: T must be standard-layout, with struct objlife as its first member");

public:
	using element_type = T;

	/** An empty table named @name (in reports). Throws
	 *  std::system_error: EINVAL for a NULL name, ENOMEM. */
	explicit table(const char *name) : st_(new detail::table_state)
	{
		if (!name)
			detail::throw_errno(EINVAL, "objlife_table_new");
		st_->name = name;
		st_->raw = objlife_table_new(name);
		if (!st_->raw)
			detail::throw_errno(errno, "objlife_table_new");
	}
	explicit table(const std::string &name) : table(name.c_str()) {}

	table(const table &) = delete;
	table &operator=(const table &) = delete;

	/** Move: the C table changes owner; @other is left empty. */
	table(table &&other) noexcept : st_(std::move(other.st_)) {}

	/** Destroys this table (see the class comment), then takes @other's. */
	table &operator=(table &&other) noexcept
	{
		if (this != &other) {
			destroy();
			st_ = std::move(other.st_);
		}
		return *this;
	}

	~table() { destroy(); }

	/**
	 * Publishes @obj under @key, or under a key the table picks when @key
	 * is 0 (one no object had in it before); returns the key. The table
	 * takes a reference of its own. Throws std::system_error: EEXIST (the
	 * key is taken, also by an object being withdrawn), EBUSY (@obj is in
	 * a table already), EINVAL (an empty ref; a dying or saturated object),
	 * ENOSPC (no key left to pick), ENOMEM. Nothing changes then.
	 */
	std::uint64_t register_object(const ref<T> &obj, std::uint64_t key = 0)
	{
		int err = objlife_register(raw(), header(obj.get()), &key);

		if (err)
			detail::throw_errno(-err, "objlife_register");
		return key;
	}

	/** A new reference to the object registered under @key, or an empty
	 *  ref: none is, or it is being withdrawn. Takes no lock. */
	ref<T> lookup(std::uint64_t key) const noexcept
	{
		return ref<T>::adopt(reinterpret_cast<T *>(objlife_lookup(raw(), key)));
	}

	/**
	 * Withdraws @obj (lookups stop finding it at once, the table drops its
	 * reference) and waits as long as it takes for every other holder to
	 * let go; @obj is then out of the table and may be registered again.
	 * After 1 s, then every 10 s, the library reports DRAIN_WAIT and calls
	 * the request callable. Throws std::system_error: ENOENT (@obj is not
	 * in this table), EINVAL (an empty ref).
	 */
	void unregister(const ref<T> &obj)
	{
		int err = objlife_unregister(raw(), header(obj.get()), -1);

		if (err)
			detail::throw_errno(-err, "objlife_unregister");
	}

	/**
	 * As unregister(obj), waiting at most @timeout (rounded up to a
	 * millisecond; zero or negative: not at all; beyond INT_MAX ms, as
	 * long as it takes). Returns true once @obj is out of the table;
	 * false when others still hold it: it stays withdrawn (no lookup finds
	 * it), call again to wait again, or drop your reference and the last
	 * holder's put ends the registration.
	 */
	template <class Rep, class Period>
	[[nodiscard]] bool unregister(const ref<T> &obj, std::chrono::duration<Rep, Period> timeout)
	{
		int err = objlife_unregister(raw(), header(obj.get()), timeout_ms(timeout));

		if (err == -ETIMEDOUT)
			return false;
		if (err)
			detail::throw_errno(-err, "objlife_unregister");
		return true;
	}

	/** How many objects are registered (withdrawn ones not counted). */
	std::size_t count() const noexcept { return objlife_table_count(raw()); }

	/**
	 * Calls @fn(const ref<T> &obj, std::uint64_t key) for every object
	 * registered when the call starts and still registered at its turn,
	 * with no library lock held: @fn may call anything, unregister(obj)
	 * included (the visit's reference is the one it needs). Copy @obj to
	 * keep a reference. @fn returns void, or a value converted to int: a
	 * non-zero one stops the visit and is returned. An exception from @fn
	 * stops it and is rethrown. Returns 0 otherwise; throws
	 * std::system_error ENOMEM (nothing visited), EINVAL (empty table).
	 */
	template <class F> int visit(F &&fn)
	{
		visit_call<F> call{ fn, nullptr, false, 0 };
		int err = objlife_table_visit(raw(), &visit_trampoline<F>, &call);

		if (call.error)
			std::rethrow_exception(call.error);
		if (call.stopped)
			return call.value;
		if (err)
			detail::throw_errno(-err, "objlife_table_visit");
		return 0;
	}

	/**
	 * Calls @fn(const ref<T> &obj, std::chrono::seconds waited) on the
	 * thread in unregister() (or in objlife_unregister() on
	 * native_handle()) when a wait for other holders starts (waited 0)
	 * and with each DRAIN_WAIT report (1 s, 11 s, 21 s...): ask the holders
	 * to let go, as vfio's request op does. The table keeps @fn (moved in)
	 * until it is replaced or the table is destroyed; calls may run on
	 * several threads at once. @fn must not throw: it runs inside the C
	 * library, so an exception calls std::terminate. Returns once calls to
	 * the previous callable on other threads have returned.
	 */
	template <class F> void set_request(F fn)
	{
		static_assert(std::is_invocable<F &, const ref<T> &, std::chrono::seconds>::value,
			      "objlife_cxx::table<T>::set_request: fn(const ref<T> &, std::chrono::seconds)");
		struct holder final : detail::request_base {
			F fn;
			explicit holder(F &&f) : fn(std::move(f)) {}
			void call(struct objlife *obj, unsigned waited_s) noexcept override
			{
				// The waiting caller's reference, lent.
				ref<T> r = ref<T>::adopt(reinterpret_cast<T *>(obj));
				std::invoke(fn, static_cast<const ref<T> &>(r), std::chrono::seconds(waited_s));
				(void)r.release();
			}
		};
		install(std::make_shared<holder>(std::move(fn)));
	}

	/** No request callable from now on (see set_request(fn)). */
	void set_request(std::nullptr_t) { install(nullptr); }

	/** The C table, for the C API (NULL when empty). The table<T> keeps
	 *  owning it; register only T's in it. */
	struct objlife_table *native_handle() const noexcept { return raw(); }

	/** False once moved from. */
	explicit operator bool() const noexcept { return st_ != nullptr; }

	void swap(table &other) noexcept { st_.swap(other.st_); }
	friend void swap(table &a, table &b) noexcept { a.swap(b); }

private:
	template <class F> struct visit_call {
		F &fn;
		std::exception_ptr error;
		bool stopped;
		int value;
	};

	template <class F> static int visit_trampoline(struct objlife *obj, std::uint64_t key, void *data)
	{
		visit_call<F> *call = static_cast<visit_call<F> *>(data);
		// The visit's reference, lent for the call.
		ref<T> r = ref<T>::adopt(reinterpret_cast<T *>(obj));
		const ref<T> &lent = r;
		int ret = 0;

		try {
			using result = std::invoke_result_t<F &, const ref<T> &, std::uint64_t>;
			if constexpr (std::is_void<result>::value) {
				std::invoke(call->fn, lent, key);
			} else {
				ret = static_cast<int>(std::invoke(call->fn, lent, key));
				if (ret) {
					call->stopped = true;
					call->value = ret;
				}
			}
		} catch (...) {
			call->error = std::current_exception();
			ret = 1;
		}
		(void)r.release();
		return ret;
	}

	template <class Rep, class Period> static int timeout_ms(std::chrono::duration<Rep, Period> timeout)
	{
		std::chrono::duration<double, std::milli> ms = timeout;

		if (!(ms.count() > 0))
			return 0;
		if (ms.count() > static_cast<double>(INT_MAX))
			return -1;
		return static_cast<int>(std::ceil(ms.count()));
	}

	void install(std::shared_ptr<detail::request_base> fn)
	{
		if (!st_)
			return;
		{
			std::lock_guard<std::mutex> hold(st_->request_lock);
			st_->request.swap(fn);
		}
		// Always the same function and data: concurrent calls cannot
		// leave the C table pointing at a callable already dropped.
		objlife_table_set_request(st_->raw, &detail::request_trampoline, st_.get());
		// @fn, now the previous callable, goes here, or with the last
		// call to it still running on this thread.
	}

	void destroy() noexcept
	{
		if (st_)
			detail::table_destroy(st_.release());
	}

	struct objlife_table *raw() const noexcept { return st_ ? st_->raw : nullptr; }

	static struct objlife *header(T *p) noexcept { return reinterpret_cast<struct objlife *>(p); }

	std::unique_ptr<detail::table_state> st_;
};

} // namespace objlife_cxx

namespace std {
/** Hashes the pointer, consistent with operator==. */
template <class T> struct hash<objlife_cxx::ref<T>> {
	std::size_t operator()(const objlife_cxx::ref<T> &r) const noexcept
	{
		return std::hash<T *>()(r.get());
	}
};
} // namespace std

#endif /* OBJLIFE_OBJLIFE_HPP */
