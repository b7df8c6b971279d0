// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The C++ binding, <objlife/objlife.hpp>: objlife_cxx::ref<T> owns exactly
 * one reference (copy = get, move = steal, destructor = put) and
 * objlife_cxx::make<T> throws std::system_error with init's errno, after
 * which nothing is left and release never ran. Every case counts inits,
 * releases and references, and ends with no widget alive. A global ref
 * is put at exit before the leak report looks. objlife_cxx::table<T>
 * registers, looks up and withdraws widgets, throwing std::system_error
 * with the errno, and keeps its request callable as long as it may call
 * it.
 */
#include <objlife/objlife.hpp>

#include <glib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

struct counts {
	std::atomic<int> inits{0}, releases{0};
};

struct widget {
	struct objlife ref;
	counts *c;      // set by init from its arg
	int value;
};
OBJLIFE_CXX_CHECK_HEADER(widget, ref);

// init fails with the errno stored in this global when it is not 0.
int widget_init_error;

int widget_init(struct objlife *obj, void *arg)
{
	widget *w = reinterpret_cast<widget *>(obj);

	w->c = static_cast<counts *>(arg);
	w->c->inits++;
	w->value = 7;
	return widget_init_error ? -widget_init_error : 0;
}

void widget_release(struct objlife *obj)
{
	reinterpret_cast<widget *>(obj)->c->releases++;
}

const objlife_ops widget_ops = { "cxx-widget", widget_init, widget_release, nullptr, nullptr, 0 };

using wref = objlife_cxx::ref<widget>;

wref new_widget(counts &c)
{
	return objlife_cxx::make<widget>(&widget_ops, &c);
}

// Every case ends here: nothing of the test type may outlive it.
void assert_none_alive()
{
	g_assert_cmpuint(objlife_live_count(&widget_ops), ==, 0);
}

// Moves must not get or put: vector growth only moves when the move
// constructor cannot throw, and a move must leave the count untouched.
static_assert(std::is_nothrow_move_constructible<wref>::value, "ref<T> moves without throwing");
static_assert(std::is_nothrow_move_assignable<wref>::value, "ref<T> move-assigns without throwing");

// Sets @w's count to the limit, where a get would saturate it and report
// OVERFLOW, and counts reports until pin_end(), which checks that there
// were none and that the count is still the limit, then sets it to @count.
unsigned pinned_reports;

void count_report(enum objlife_event, const struct objlife *, const char *, void *)
{
	pinned_reports++;
}

void pin_start(widget *w)
{
	// Test-only write of the private count (as testutil.h's tu_preset_count).
	__atomic_store_n(&w->ref._count, OBJLIFE_REFCOUNT_MAX, __ATOMIC_RELAXED);
	pinned_reports = 0;
	objlife_set_report_handler(count_report, nullptr);
}

void pin_end(widget *w, uint32_t count)
{
	objlife_set_report_handler(nullptr, nullptr);
	g_assert_cmpuint(pinned_reports, ==, 0);
	g_assert_cmpuint(objlife_refcount(&w->ref), ==, OBJLIFE_REFCOUNT_MAX);
	__atomic_store_n(&w->ref._count, count, __ATOMIC_RELAXED);
}

// ---- make -------------------------------------------------------------

void test_make_owns_the_only_reference()
{
	counts c;
	{
		wref w = new_widget(c);

		g_assert_true(bool(w));
		g_assert_cmpuint(w.use_count(), ==, 1);
		g_assert_cmpint(w->value, ==, 7);
		g_assert_cmpint(c.inits, ==, 1);
		g_assert_cmpint(c.releases, ==, 0);
		g_assert_cmpuint(objlife_live_count(&widget_ops), ==, 1);
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_make_init_failure_throws_errno_and_skips_release()
{
	counts c;
	bool thrown = false;

	widget_init_error = ENOSPC;
	try {
		wref w = new_widget(c);
	} catch (const std::system_error &e) {
		thrown = true;
		g_assert_cmpint(e.code().value(), ==, ENOSPC);
		g_assert_true(e.code().category() == std::generic_category());
	}
	widget_init_error = 0;
	g_assert_true(thrown);
	g_assert_cmpint(c.inits, ==, 1);
	g_assert_cmpint(c.releases, ==, 0);
	assert_none_alive();
}

void test_make_bad_ops_throws_einval()
{
	static const objlife_ops nameless = { nullptr, nullptr, nullptr, nullptr, nullptr, 0 };
	int code = 0;

	try {
		(void)objlife_cxx::make<widget>(&nameless);
	} catch (const std::system_error &e) {
		code = e.code().value();
	}
	g_assert_cmpint(code, ==, EINVAL);
	g_assert_cmpuint(objlife_live_count(&nameless), ==, 0);
}

// ---- copy, move, destruction ------------------------------------------

void test_copy_takes_a_reference()
{
	counts c;
	{
		wref a = new_widget(c);
		{
			wref b = a;

			g_assert_true(b.get() == a.get());
			g_assert_cmpuint(a.use_count(), ==, 2);
		}
		g_assert_cmpuint(a.use_count(), ==, 1);
		g_assert_cmpint(c.releases, ==, 0);
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_copy_assign_drops_the_old_and_takes_the_new()
{
	counts c1, c2;
	{
		wref a = new_widget(c1);
		wref b = new_widget(c2);

		b = a;
		g_assert_cmpint(c2.releases, ==, 1);   // b's widget had no other holder
		g_assert_cmpint(c1.releases, ==, 0);
		g_assert_cmpuint(a.use_count(), ==, 2);
		g_assert_true(a == b);
	}
	g_assert_cmpint(c1.releases, ==, 1);
	assert_none_alive();
}

void test_self_assignment_keeps_the_object()
{
	counts c;
	{
		wref a = new_widget(c);
		wref &alias = a;   // hides the self-assignment from -Wself-assign

		a = alias;
		g_assert_cmpuint(a.use_count(), ==, 1);
		a = std::move(alias);
		g_assert_true(bool(a));
		g_assert_cmpuint(a.use_count(), ==, 1);
		g_assert_cmpint(c.releases, ==, 0);
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_move_steals_without_get_or_put()
{
	counts c;
	{
		wref a = new_widget(c);
		widget *p = a.get();
		wref b = std::move(a);

		g_assert_false(bool(a));   // NOLINT(bugprone-use-after-move): the point of the test
		g_assert_true(b.get() == p);
		g_assert_cmpuint(b.use_count(), ==, 1);
		// A put then a get would have released it above; a get then a
		// put would saturate here.
		pin_start(p);
		{
			wref moved = std::move(b);
			b = std::move(moved);
		}
		pin_end(p, 1);
		g_assert_cmpuint(b.use_count(), ==, 1);
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_move_assign_drops_the_previous_reference()
{
	counts c1, c2;
	{
		wref a = new_widget(c1);
		wref b = new_widget(c2);

		b = std::move(a);
		g_assert_cmpint(c2.releases, ==, 1);
		g_assert_cmpint(c1.releases, ==, 0);
		g_assert_cmpuint(b.use_count(), ==, 1);
	}
	g_assert_cmpint(c1.releases, ==, 1);
	assert_none_alive();
}

void test_last_destructor_releases_once()
{
	counts c;
	{
		wref a = new_widget(c);
		wref b = a, d = b;

		g_assert_cmpuint(a.use_count(), ==, 3);
	}
	g_assert_cmpint(c.inits, ==, 1);
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

// ---- reset, release, adopt, retain --------------------------------------

void test_reset_drops_now_and_empties()
{
	counts c;
	wref a = new_widget(c);
	wref b = a;

	b.reset();
	g_assert_false(bool(b));
	g_assert_cmpuint(b.use_count(), ==, 0);
	g_assert_cmpuint(a.use_count(), ==, 1);
	a = nullptr;
	g_assert_cmpint(c.releases, ==, 1);
	a.reset();   // on an empty ref: nothing
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_release_gives_up_without_put()
{
	counts c;
	widget *raw;
	{
		wref a = new_widget(c);

		raw = a.release();
		g_assert_false(bool(a));
	}
	g_assert_cmpint(c.releases, ==, 0);
	g_assert_cmpuint(objlife_refcount(&raw->ref), ==, 1);
	objlife_put(&raw->ref);   // the caller owns it now
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_adopt_takes_over_without_get()
{
	counts c;
	widget *raw = objlife_alloc(widget, ref, &widget_ops, &c);

	g_assert_nonnull(raw);
	{
		wref a = wref::adopt(raw);

		g_assert_true(a.get() == raw);
		g_assert_cmpuint(a.use_count(), ==, 1);
	}
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_false(bool(wref::adopt(nullptr)));
	assert_none_alive();
}

void test_retain_takes_a_new_reference()
{
	counts c;
	widget *raw = objlife_alloc(widget, ref, &widget_ops, &c);

	g_assert_nonnull(raw);
	{
		wref a = wref::retain(raw);

		g_assert_cmpuint(a.use_count(), ==, 2);
	}
	g_assert_cmpuint(objlife_refcount(&raw->ref), ==, 1);
	g_assert_cmpint(c.releases, ==, 0);
	objlife_put(&raw->ref);
	g_assert_cmpint(c.releases, ==, 1);
	g_assert_false(bool(wref::retain(nullptr)));
	assert_none_alive();
}

void test_empty_ref_is_null_and_counts_zero()
{
	wref a, b(nullptr);

	g_assert_false(bool(a));
	g_assert_null(a.get());
	g_assert_cmpuint(a.use_count(), ==, 0);
	g_assert_true(a == b);
	g_assert_true(a == nullptr && nullptr == a);
	wref c = a;   // copying an empty ref: no get on NULL
	g_assert_false(bool(c));
}

void test_access_reaches_the_object()
{
	counts c;
	{
		wref a = new_widget(c);

		a->value = 11;
		g_assert_cmpint((*a).value, ==, 11);
		g_assert_cmpint(a.get()->value, ==, 11);
		g_assert_true(&(*a) == a.get());
	}
	assert_none_alive();
}

// ---- comparison and hashing ---------------------------------------------

void test_refs_compare_by_object()
{
	counts c;
	{
		wref a = new_widget(c), b = new_widget(c);
		wref a2 = a;
		bool a_first = std::less<widget *>()(a.get(), b.get());

		g_assert_true(a == a2);
		g_assert_false(a != a2);
		g_assert_true(a != b);
		g_assert_true(a != nullptr);
		g_assert_true((a < b) == a_first);
		g_assert_true((b < a) == !a_first);
		g_assert_true(a <= a2 && a >= a2);
		g_assert_true((a > b) == !a_first);
	}
	g_assert_cmpint(c.releases, ==, 2);
	assert_none_alive();
}

void test_hash_is_the_pointer_hash()
{
	counts c;
	{
		wref a = new_widget(c);
		wref a2 = a;

		g_assert_cmpuint(std::hash<wref>()(a), ==, std::hash<widget *>()(a.get()));
		g_assert_cmpuint(std::hash<wref>()(a), ==, std::hash<wref>()(a2));
	}
	assert_none_alive();
}

// ---- standard containers ------------------------------------------------

void test_vector_growth_moves_references()
{
	counts c;
	{
		wref a = new_widget(c);
		std::vector<wref> v;

		for (int i = 0; i < 100; i++)   // reallocates several times: moves, no copies
			v.push_back(a);
		g_assert_cmpuint(a.use_count(), ==, 101);
		pin_start(a.get());
		v.reserve(v.capacity() * 4);    // one more reallocation: no get, no put
		pin_end(a.get(), 101);
		v.erase(v.begin(), v.begin() + 50);
		g_assert_cmpuint(a.use_count(), ==, 51);
		v.clear();
		g_assert_cmpuint(a.use_count(), ==, 1);
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_map_holds_one_reference_per_value()
{
	counts c;
	{
		std::map<int, wref> m;

		for (int i = 0; i < 10; i++)
			m.emplace(i, new_widget(c));
		wref third = m.at(3);

		g_assert_cmpuint(third.use_count(), ==, 2);
		m.erase(3);
		g_assert_cmpuint(third.use_count(), ==, 1);
		g_assert_cmpint(c.releases, ==, 0);
		m.erase(4);
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_cmpuint(objlife_live_count(&widget_ops), ==, 9);
	}
	g_assert_cmpint(c.inits, ==, 10);
	g_assert_cmpint(c.releases, ==, 10);
	assert_none_alive();
}

void test_unordered_set_finds_equal_refs()
{
	counts c;
	{
		std::unordered_set<wref> s;
		wref a = new_widget(c), b = new_widget(c);

		s.insert(a);
		s.insert(a);   // equal: not inserted, no reference taken
		s.insert(b);
		g_assert_cmpuint(s.size(), ==, 2);
		g_assert_cmpuint(a.use_count(), ==, 2);
		g_assert_true(s.count(wref(a)) == 1);
		s.erase(a);
		g_assert_cmpuint(a.use_count(), ==, 1);
	}
	g_assert_cmpint(c.releases, ==, 2);
	assert_none_alive();
}

// ---- threads --------------------------------------------------------------

void test_four_threads_copy_one_ref()
{
	counts c;
	{
		const wref shared = new_widget(c);
		std::vector<std::thread> threads;

		for (int t = 0; t < 4; t++) {
			threads.emplace_back([&shared] {
				std::vector<wref> mine;

				for (int i = 0; i < 20000; i++) {
					wref copy = shared;   // get on one object from four threads
					if (i % 8 == 0)
						mine.push_back(std::move(copy));
				}
			});   // mine's references are put as each thread ends
		}
		for (std::thread &t : threads)
			t.join();
		g_assert_cmpuint(shared.use_count(), ==, 1);
		g_assert_cmpint(c.releases, ==, 0);
	}
	g_assert_cmpint(c.inits, ==, 1);
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

// A global that holds an object, as a program's singletons do: its
// destructor puts it at exit, before the report of what is left alive.
counts global_counts;
wref held_by_global;

void test_global_ref_is_put_before_the_exit_report()
{
	if (g_test_subprocess()) {
		held_by_global = new_widget(global_counts);
		return;
	}
	// "abort": a LEAK reported at exit would kill the child.
	setenv("OBJLIFE_DEBUG", "leaks,abort", 1);
	g_test_trap_subprocess(nullptr, 0, G_TEST_SUBPROCESS_DEFAULT);
	unsetenv("OBJLIFE_DEBUG");
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("");
}

// ---- table ------------------------------------------------------------------

using wtable = objlife_cxx::table<widget>;
using namespace std::chrono_literals;

static_assert(!std::is_copy_constructible<wtable>::value && !std::is_copy_assignable<wtable>::value,
	      "a table has one owner");
static_assert(std::is_nothrow_move_constructible<wtable>::value &&
		      std::is_nothrow_move_assignable<wtable>::value,
	      "a table moves without throwing");

// The errno of the std::system_error @fn throws; 0 when it throws none.
int thrown_errno(const std::function<void()> &fn)
{
	try {
		fn();
	} catch (const std::system_error &e) {
		g_assert_true(e.code().category() == std::generic_category());
		return e.code().value();
	}
	return 0;
}

void test_table_register_lookup_unregister_round_trip()
{
	counts c;
	{
		wtable t("cxx-round-trip");
		wref w = new_widget(c);
		std::uint64_t key = t.register_object(w);

		g_assert_cmpuint(key, ==, 1);
		g_assert_cmpuint(w.use_count(), ==, 2);   // the table's own
		g_assert_cmpuint(t.count(), ==, 1);
		{
			wref found = t.lookup(key);

			g_assert_true(found == w);
			g_assert_cmpuint(w.use_count(), ==, 3);
		}
		g_assert_false(bool(t.lookup(key + 1)));
		t.unregister(w);
		g_assert_cmpuint(t.count(), ==, 0);
		g_assert_false(bool(t.lookup(key)));
		g_assert_cmpuint(w.use_count(), ==, 1);
		g_assert_cmpint(c.releases, ==, 0);
		// Out of the table: it may be registered again.
		g_assert_cmpuint(t.register_object(w, 40), ==, 40);
		g_assert_true(t.unregister(w, 0ms));
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_table_picks_keys_past_every_key_used()
{
	counts c;
	{
		wtable t("cxx-keys");
		wref a = new_widget(c), b = new_widget(c), d = new_widget(c);

		g_assert_cmpuint(t.register_object(a), ==, 1);
		g_assert_cmpuint(t.register_object(b, 10), ==, 10);
		g_assert_cmpuint(t.register_object(d), ==, 11);
		g_assert_true(t.lookup(10) == b);
		t.unregister(a);
		t.unregister(b);
		t.unregister(d);
	}
	g_assert_cmpint(c.releases, ==, 3);
	assert_none_alive();
}

void test_table_errors_throw_errno_and_change_nothing()
{
	counts c;
	{
		wtable t("cxx-errors"), other("cxx-errors-other");
		wref a = new_widget(c), b = new_widget(c);
		std::uint64_t key = t.register_object(a);

		g_assert_cmpint(thrown_errno([&] { (void)t.register_object(b, key); }), ==, EEXIST);
		g_assert_cmpint(thrown_errno([&] { (void)t.register_object(a); }), ==, EBUSY);
		g_assert_cmpint(thrown_errno([&] { (void)other.register_object(a); }), ==, EBUSY);
		g_assert_cmpint(thrown_errno([&] { (void)t.register_object(wref()); }), ==, EINVAL);
		g_assert_cmpuint(b.use_count(), ==, 1);
		g_assert_cmpuint(a.use_count(), ==, 2);
		g_assert_cmpuint(t.count(), ==, 1);
		g_assert_cmpint(thrown_errno([&] { t.unregister(b); }), ==, ENOENT);
		g_assert_cmpint(thrown_errno([&] { (void)other.unregister(a, 10ms); }), ==, ENOENT);
		g_assert_cmpint(thrown_errno([&] { t.unregister(wref()); }), ==, EINVAL);
		g_assert_true(t.lookup(key) == a);
		t.unregister(a);
		g_assert_cmpint(thrown_errno([&] { t.unregister(a); }), ==, ENOENT);
	}
	g_assert_cmpint(c.releases, ==, 2);
	assert_none_alive();
}

void test_table_unregister_times_out_while_another_reference_is_held()
{
	counts c;
	{
		wtable t("cxx-timeout");
		wref w = new_widget(c);
		std::uint64_t key = t.register_object(w);
		wref other = w;
		auto start = std::chrono::steady_clock::now();

		g_assert_false(t.unregister(w, 50ms));
		// The library counts whole milliseconds: 49.x ms may be its 50.
		g_assert_true(std::chrono::steady_clock::now() - start >= 45ms);
		// Withdrawn all the same: no lookup finds it, and it does not count.
		g_assert_false(bool(t.lookup(key)));
		g_assert_cmpuint(t.count(), ==, 0);
		g_assert_cmpuint(w.use_count(), ==, 2);   // the table's is gone
		other.reset();
		g_assert_true(t.unregister(w, 50ms));
		g_assert_cmpuint(w.use_count(), ==, 1);
		g_assert_cmpint(c.releases, ==, 0);
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_table_visit_lends_each_object_and_stops_on_non_zero()
{
	counts c;
	{
		wtable t("cxx-visit");
		std::vector<wref> ws;
		std::map<std::uint64_t, widget *> seen;

		for (int i = 0; i < 5; i++) {
			ws.push_back(new_widget(c));
			(void)t.register_object(ws.back());
		}
		int ret = t.visit([&](const wref &w, std::uint64_t key) {
			g_assert_cmpuint(w.use_count(), ==, 3);   // ws's, the table's, the visit's
			seen[key] = w.get();
		});
		g_assert_cmpint(ret, ==, 0);
		g_assert_cmpuint(seen.size(), ==, 5);
		for (std::size_t i = 0; i < ws.size(); i++)
			g_assert_true(seen.at(i + 1) == ws[i].get());

		int calls = 0;
		g_assert_cmpint(t.visit([&](const wref &, std::uint64_t) { return ++calls == 2 ? -7 : 0; }), ==, -7);
		g_assert_cmpint(calls, ==, 2);

		calls = 0;
		bool caught = false;
		try {
			(void)t.visit([&](const wref &, std::uint64_t) -> bool {
				calls++;
				throw std::runtime_error("stop here");
			});
		} catch (const std::runtime_error &e) {
			caught = std::string(e.what()) == "stop here";
		}
		g_assert_true(caught);
		g_assert_cmpint(calls, ==, 1);

		// A shutdown: objects withdrawn from inside the visit, whose
		// reference is then the only one left, and released by its put.
		widget *third = ws[2].get();
		ws.clear();
		wref kept;
		ret = t.visit([&](const wref &w, std::uint64_t key) {
			if (key == 3)
				kept = w;   // a copy: a reference of its own
			else
				t.unregister(w);
		});
		g_assert_cmpint(ret, ==, 0);
		g_assert_cmpint(c.releases, ==, 4);
		g_assert_cmpuint(t.count(), ==, 1);
		g_assert_true(kept.get() == third);
		g_assert_cmpuint(kept.use_count(), ==, 2);
		t.unregister(kept);
		g_assert_cmpuint(t.count(), ==, 0);
		g_assert_cmpuint(kept.use_count(), ==, 1);
	}
	g_assert_cmpint(c.releases, ==, 5);
	assert_none_alive();
}

void test_table_request_is_called_when_the_wait_starts()
{
	counts c;
	{
		wtable t("cxx-request");
		wref w = new_widget(c);
		wref other = w;
		std::vector<std::pair<widget *, std::chrono::seconds>> calls;

		(void)t.register_object(w);
		t.set_request([&calls](const wref &obj, std::chrono::seconds waited) {
			calls.emplace_back(obj.get(), waited);
		});
		g_assert_false(t.unregister(w, 50ms));
		g_assert_cmpuint(calls.size(), ==, 1);
		g_assert_true(calls[0].first == w.get());
		g_assert_true(calls[0].second == 0s);

		// A request that makes the holder let go: the wait ends.
		t.set_request([&other](const wref &, std::chrono::seconds) { other.reset(); });
		t.unregister(w);
		g_assert_false(bool(other));
		g_assert_cmpuint(calls.size(), ==, 1);   // the first callable was replaced
		g_assert_cmpuint(w.use_count(), ==, 1);

		// No holder but the caller: no wait, no call.
		t.set_request(nullptr);
		(void)t.register_object(w);
		t.unregister(w);
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

void test_table_keeps_the_request_callable_until_replaced_or_destroyed()
{
	auto token = std::make_shared<int>(0);
	{
		wtable t("cxx-request-life");

		t.set_request([token](const wref &, std::chrono::seconds) {});
		g_assert_cmpint(token.use_count(), ==, 2);
		t.set_request([](const wref &, std::chrono::seconds) {});
		g_assert_cmpint(token.use_count(), ==, 1);
		t.set_request([token](const wref &, std::chrono::seconds) {});
		g_assert_cmpint(token.use_count(), ==, 2);

		wtable moved = std::move(t);   // the callable goes with the table
		g_assert_cmpint(token.use_count(), ==, 2);
	}
	g_assert_cmpint(token.use_count(), ==, 1);
}

void test_table_move_leaves_the_source_empty()
{
	counts c;
	{
		wtable a("cxx-move-a");
		wref w = new_widget(c);
		std::uint64_t key = a.register_object(w);
		wtable b = std::move(a);

		g_assert_false(bool(a));   // NOLINT(bugprone-use-after-move): the point of the test
		g_assert_null(a.native_handle());
		g_assert_true(bool(b));
		g_assert_false(bool(a.lookup(key)));
		g_assert_cmpuint(a.count(), ==, 0);
		g_assert_cmpint(thrown_errno([&] { (void)a.register_object(w); }), ==, EINVAL);
		g_assert_cmpint(thrown_errno([&] { (void)a.visit([](const wref &, std::uint64_t) {}); }), ==, EINVAL);
		g_assert_true(b.lookup(key) == w);

		// Move assignment destroys the table the target held, which
		// withdraws the object only it held.
		wtable d("cxx-move-d");
		(void)d.register_object(new_widget(c));
		d = std::move(b);
		g_assert_cmpint(c.releases, ==, 1);
		g_assert_false(bool(b));   // NOLINT(bugprone-use-after-move)
		g_assert_cmpuint(d.count(), ==, 1);
		g_assert_true(d.lookup(key) == w);
		d.unregister(w);
		g_assert_cmpuint(w.use_count(), ==, 1);
	}
	g_assert_cmpint(c.releases, ==, 2);
	assert_none_alive();
}

void test_table_destructor_withdraws_what_nobody_else_holds()
{
	counts c;
	{
		wtable t("cxx-destroy");

		for (int i = 0; i < 3; i++)
			(void)t.register_object(new_widget(c));   // only the table holds them
		g_assert_cmpint(c.releases, ==, 0);
	}
	g_assert_cmpint(c.releases, ==, 3);
	assert_none_alive();
}

// A table destroyed while a withdrawn object is still held elsewhere
// cannot be freed: its registration ends at that object's last put.
// The destructor says so on stderr, and the last put still works.
counts busy_counts;

void test_table_destroyed_while_an_object_is_held_says_so()
{
	if (g_test_subprocess()) {
		wref w = new_widget(busy_counts);
		{
			wtable t("cxx-busy");

			(void)t.register_object(w);
		}
		g_assert_cmpuint(w.use_count(), ==, 1);   // the table's reference is gone
		w.reset();
		g_assert_cmpint(busy_counts.releases, ==, 1);
		assert_none_alive();
		return;
	}
	g_test_trap_subprocess(nullptr, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr("objlife: table \"cxx-busy\" destroyed while objects withdrawn from it are "
				  "still held elsewhere (1 now, *); the table is never freed*");
}

void test_table_lookups_on_threads_while_unregistering()
{
	counts c;
	{
		wtable t("cxx-threads");
		wref w = new_widget(c);
		std::uint64_t key = t.register_object(w);
		std::atomic<bool> withdrawn{false};
		std::atomic<int> found_after{0};
		std::vector<std::thread> threads;

		for (int i = 0; i < 3; i++) {
			threads.emplace_back([&] {
				while (!withdrawn.load()) {
					wref r = t.lookup(key);
					g_assert_true(!r || r == w);
				}
				for (int n = 0; n < 1000; n++)
					found_after += bool(t.lookup(key));
			});
		}
		std::this_thread::sleep_for(5ms);
		t.unregister(w);   // waits for the references the lookups hold
		withdrawn = true;
		for (std::thread &th : threads)
			th.join();
		g_assert_cmpint(found_after, ==, 0);
		g_assert_cmpuint(w.use_count(), ==, 1);
	}
	g_assert_cmpint(c.releases, ==, 1);
	assert_none_alive();
}

} // namespace

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, nullptr);

	g_test_add_func("/cxx/make/owns-the-only-reference", test_make_owns_the_only_reference);
	g_test_add_func("/cxx/make/init-failure-throws-errno-and-skips-release",
			test_make_init_failure_throws_errno_and_skips_release);
	g_test_add_func("/cxx/make/bad-ops-throws-einval", test_make_bad_ops_throws_einval);
	g_test_add_func("/cxx/copy/takes-a-reference", test_copy_takes_a_reference);
	g_test_add_func("/cxx/copy/assign-drops-the-old-and-takes-the-new",
			test_copy_assign_drops_the_old_and_takes_the_new);
	g_test_add_func("/cxx/copy/self-assignment-keeps-the-object", test_self_assignment_keeps_the_object);
	g_test_add_func("/cxx/move/steals-without-get-or-put", test_move_steals_without_get_or_put);
	g_test_add_func("/cxx/move/assign-drops-the-previous-reference",
			test_move_assign_drops_the_previous_reference);
	g_test_add_func("/cxx/destructor/last-one-releases-once", test_last_destructor_releases_once);
	g_test_add_func("/cxx/reset/drops-now-and-empties", test_reset_drops_now_and_empties);
	g_test_add_func("/cxx/release/gives-up-without-put", test_release_gives_up_without_put);
	g_test_add_func("/cxx/adopt/takes-over-without-get", test_adopt_takes_over_without_get);
	g_test_add_func("/cxx/retain/takes-a-new-reference", test_retain_takes_a_new_reference);
	g_test_add_func("/cxx/empty/is-null-and-counts-zero", test_empty_ref_is_null_and_counts_zero);
	g_test_add_func("/cxx/access/reaches-the-object", test_access_reaches_the_object);
	g_test_add_func("/cxx/compare/by-object", test_refs_compare_by_object);
	g_test_add_func("/cxx/hash/is-the-pointer-hash", test_hash_is_the_pointer_hash);
	g_test_add_func("/cxx/containers/vector-growth-moves-references", test_vector_growth_moves_references);
	g_test_add_func("/cxx/containers/map-holds-one-reference-per-value",
			test_map_holds_one_reference_per_value);
	g_test_add_func("/cxx/containers/unordered-set-finds-equal-refs", test_unordered_set_finds_equal_refs);
	g_test_add_func("/cxx/threads/four-threads-copy-one-ref", test_four_threads_copy_one_ref);
	g_test_add_func("/cxx/exit/global-ref-is-put-before-the-exit-report",
			test_global_ref_is_put_before_the_exit_report);
	g_test_add_func("/cxx/table/register-lookup-unregister-round-trip",
			test_table_register_lookup_unregister_round_trip);
	g_test_add_func("/cxx/table/picks-keys-past-every-key-used", test_table_picks_keys_past_every_key_used);
	g_test_add_func("/cxx/table/errors-throw-errno-and-change-nothing",
			test_table_errors_throw_errno_and_change_nothing);
	g_test_add_func("/cxx/table/unregister-times-out-while-another-reference-is-held",
			test_table_unregister_times_out_while_another_reference_is_held);
	g_test_add_func("/cxx/table/visit-lends-each-object-and-stops-on-non-zero",
			test_table_visit_lends_each_object_and_stops_on_non_zero);
	g_test_add_func("/cxx/table/request-is-called-when-the-wait-starts",
			test_table_request_is_called_when_the_wait_starts);
	g_test_add_func("/cxx/table/keeps-the-request-callable-until-replaced-or-destroyed",
			test_table_keeps_the_request_callable_until_replaced_or_destroyed);
	g_test_add_func("/cxx/table/move-leaves-the-source-empty", test_table_move_leaves_the_source_empty);
	g_test_add_func("/cxx/table/destructor-withdraws-what-nobody-else-holds",
			test_table_destructor_withdraws_what_nobody_else_holds);
	g_test_add_func("/cxx/table/destroyed-while-an-object-is-held-says-so",
			test_table_destroyed_while_an_object_is_held_says_so);
	g_test_add_func("/cxx/table/lookups-on-threads-while-unregistering",
			test_table_lookups_on_threads_while_unregistering);

	return g_test_run();
}
