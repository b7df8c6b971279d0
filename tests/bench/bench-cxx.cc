// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The C++ standard library's answer: std::shared_ptr. The refpair case
// copies a shared_ptr and destroys the copy (an atomic increment and
// decrement on the control block: libstdc++ uses plain ones while the
// process has never had a second thread, which objlife-bench.c rules out
// before measuring); the lifecycle case is std::make_shared (object and
// control block in one allocation, value-initialised, i.e. zeroed like
// the others) and reset().
#include "config.h"

#include <cstddef>
#include <cstdint>
#include <memory>

#include "bench.h"

namespace {

template <std::size_t N> struct object {
	int field;
	char pad[N - sizeof(int)];
};
using small = object<BENCH_SMALL>;
using large = object<BENCH_LARGE>;
static_assert(sizeof(small) == BENCH_SMALL && sizeof(large) == BENCH_LARGE, "object sizes");

void *pair_setup(std::size_t)
{
	return new std::shared_ptr<small>(std::make_shared<small>());
}

BENCH_NOINLINE void pair_run(void *state, std::uint64_t n)
{
	const std::shared_ptr<small> &sp = *static_cast<std::shared_ptr<small> *>(state);

	while (n--) {
		std::shared_ptr<small> copy(sp);
		small *p = copy.get();

		bench_hide(p);
	}
}

void pair_teardown(void *state)
{
	delete static_cast<std::shared_ptr<small> *>(state);
}

void *size_setup(std::size_t size)
{
	return new std::size_t(size);
}

template <typename T> BENCH_NOINLINE void lifecycle(std::uint64_t n)
{
	while (n--) {
		std::shared_ptr<T> p = std::make_shared<T>();

		p->field = 1;
		bench_escape(p.get());
		p.reset();
	}
}

BENCH_NOINLINE void lifecycle_run(void *state, std::uint64_t n)
{
	if (*static_cast<std::size_t *>(state) == BENCH_SMALL)
		lifecycle<small>(n);
	else
		lifecycle<large>(n);
}

void size_teardown(void *state)
{
	delete static_cast<std::size_t *>(state);
}

} // namespace

extern "C" const struct bench_impl bench_shared_ptr_refpair = { pair_setup, pair_run, pair_teardown };
extern "C" const struct bench_impl bench_make_shared_lifecycle = { size_setup, lifecycle_run, size_teardown };
