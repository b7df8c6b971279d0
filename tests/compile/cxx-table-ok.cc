/* objlife-compile-test
 * expect: pass
 * compilers: g++ clang++
 * cflags: -std=c++17 -Wall -Wextra -Werror -pedantic
 *
 * Every member of objlife_cxx::table<T> instantiated: a visit callable
 * that returns void and one that returns bool, a request callable that
 * owns a move-only capture, timeouts in several std::chrono units.
 */
#include <objlife/objlife.hpp>

#include <chrono>
#include <cstdint>
#include <memory>

struct widget {
	struct objlife ref;
	int value;
};
OBJLIFE_CXX_CHECK_HEADER(widget, ref);

using wref = objlife_cxx::ref<widget>;

int use_table(const wref &w);

int use_table(const wref &w)
{
	objlife_cxx::table<widget> t("widgets");
	std::uint64_t key = t.register_object(w);
	wref found = t.lookup(key);
	auto owned = std::make_unique<int>(3);
	int n = 0;

	t.set_request([owned = std::move(owned)](const wref &obj, std::chrono::seconds waited) {
		(void)obj;
		(void)waited;
	});
	n += t.visit([&](const wref &obj, std::uint64_t k) { n += obj->value + static_cast<int>(k); });
	n += t.visit([](const wref &obj, std::uint64_t) { return obj->value == 7; });
	if (!t.unregister(w, std::chrono::milliseconds(50)) && !t.unregister(w, std::chrono::duration<double>(0.5)))
		t.unregister(w);
	t.set_request(nullptr);
	objlife_cxx::table<widget> moved = std::move(t);
	return n + static_cast<int>(moved.count()) + (moved.native_handle() != nullptr);
}
