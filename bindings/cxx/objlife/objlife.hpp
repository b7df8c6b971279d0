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
 * Thread safety is the library's: distinct ref objects may be copied and
 * destroyed concurrently even when they point to the same T; a single ref
 * object is no more thread-safe than a T*.
 *
 * The namespace is objlife_cxx because C++ does not allow a namespace to
 * share the name of the global `struct objlife`.
 */
#ifndef OBJLIFE_OBJLIFE_HPP
#define OBJLIFE_OBJLIFE_HPP

#include <objlife.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
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
