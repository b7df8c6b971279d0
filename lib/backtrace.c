/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stacks for the diagnostics: captured as raw return addresses whenever an
 * object is allocated (OBJLIFE_DEBUG=leaks) or a tracked reference taken
 * or dropped (refs), symbolised only when a report is written.
 *
 * The choice (configure decides, see configure.ac's Diagnostics section):
 *
 *   capture    glibc's backtrace() (<execinfo.h>): in libc, so nothing to
 *              link, and it unwinds with the DWARF CFI of the libgcc
 *              unwinder, so it works in code built without frame pointers
 *              (the distributions' default). libunwind's unw_backtrace()
 *              measured no faster here, and would be one more dependency.
 *              Without execinfo.h (musl), a stack is the one frame the
 *              public entry point knows: its own return address.
 *   symbolise  elfutils' libdw (libdwfl), when configure finds it: function
 *              names from the symbol table, static functions included, and
 *              file:line from DWARF, which is what a leak report is for.
 *              Otherwise dladdr(): exported names only (link programs with
 *              -rdynamic), as "function+0xoff (module)"; a static function
 *              shows as the exported symbol before it. Otherwise raw
 *              addresses.
 *
 * Unwinding costs about 10 ns per frame, several times an allocation's
 * whole cost. Most allocations come from a few sites through a few paths,
 * so each thread caches, per (return address into the user's code, depth
 * of the stack), the last stack seen there together with the stack slots
 * that held its return addresses. A capture whose slots still hold the
 * same return addresses is the same stack: each frame's return address
 * fixes the next frame's code, and with it where the next return address
 * sits (for fixed-size frames; a frame with alloca could in theory leave a
 * stale copy that matches). So a hit costs up to OL_STACK_DEPTH loads, not
 * an unwind. The cache reads only the calling thread's own stack, between
 * its frame and the stack's top (from pthread_getattr_np()); without that,
 * under Valgrind (which would flag the scan's reads of padding), or on
 * another stack (sigaltstack, coroutines), every capture unwinds.
 */
#include "objlife-private.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_EXECINFO_H
# include <execinfo.h>
#endif
#ifdef HAVE_LIBDW
# include <elfutils/libdwfl.h>
#endif
#ifdef HAVE_DLADDR
# include <dlfcn.h>
#endif
#ifdef HAVE_VALGRIND_VALGRIND_H
# include <valgrind/valgrind.h>
#endif

/* The library's frames above the user's code: capture, registry or
 * tracker, the public entry point; more than enough. */
#define SKIP_MAX 8
#define CACHE_SLOTS 64    /* per thread; a power of two */

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 5)
/* The cache reads other frames' stack slots, which AddressSanitizer would
 * take for overflows of their locals. */
# define OL_NO_ASAN __attribute__((no_sanitize_address))
#else
# define OL_NO_ASAN
#endif

/* ---- capture --------------------------------------------------------- */

struct cache_slot {
	const void *caller;              /* frames[0] of the stack */
	uintptr_t depth;                 /* stack top - frame address at capture */
	const struct ol_stack *stack;
	uint32_t off[OL_STACK_DEPTH];    /* word offsets, from the frame address, of
					    the slots holding stack->frames[] */
};

struct capture_thread {
	uintptr_t lo, hi;                /* this thread's stack */
	struct cache_slot slot[CACHE_SLOTS];
};

/* NULL until the thread's first capture; NO_CACHE when it cannot have one. */
#define NO_CACHE ((struct capture_thread *)(uintptr_t)1)
static TLS struct capture_thread *cap_self;
#if defined(HAVE_PTHREAD_GETATTR_NP)
static pthread_key_t cap_key;
static bool cap_key_ok;
static pthread_once_t cap_once = PTHREAD_ONCE_INIT;

static void cap_thread_exit(void *p)
{
	ol_free(p);
	cap_self = NO_CACHE;
}

static void cap_init(void)
{
	cap_key_ok = pthread_key_create(&cap_key, cap_thread_exit) == 0;
}
#endif

static struct capture_thread *cap_thread(void)
{
	struct capture_thread *t = cap_self;

	if (ol_likely(t != NULL))
		return t == NO_CACHE ? NULL : t;
	cap_self = NO_CACHE;
#if defined(HAVE_PTHREAD_GETATTR_NP)
# ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return NULL;
# endif
	pthread_once(&cap_once, cap_init);
	if (!cap_key_ok)
		return NULL;
	t = ol_calloc(OL_MEM_STACK_CACHE, 1, sizeof(*t));
	if (!t) {
		ol_report_no_memory(OL_NOMEM_STACK_CACHE, NULL,
				    "out of memory for a thread's stack cache; that thread unwinds "
				    "at every allocation (slower, nothing is lost)");
		return NULL;
	}
	{
		pthread_attr_t attr;
		void *addr;
		size_t size;

		if (pthread_getattr_np(pthread_self(), &attr) != 0) {
			ol_free(t);
			return NULL;
		}
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			t->lo = (uintptr_t)addr;
			t->hi = (uintptr_t)addr + size;
		}
		pthread_attr_destroy(&attr);
	}
	if (!t->hi || pthread_setspecific(cap_key, t) != 0) {
		ol_free(t);
		return NULL;
	}
	cap_self = t;
	return t;
#else
	return NULL;
#endif
}

static unsigned slot_index(const void *caller, uintptr_t depth)
{
	uint64_t h = ((uintptr_t)caller ^ depth << 20) * 0x9e3779b97f4a7c15ull;

	return (unsigned)(h >> 40) & (CACHE_SLOTS - 1);
}

/* Frame 0 is the key; the others must sit where they sat. */
OL_NO_ASAN static bool slot_matches(const uintptr_t *fa, const struct cache_slot *s)
{
	unsigned i;

	for (i = 1; i < s->stack->depth; i++)
		if (fa[s->off[i]] != (uintptr_t)s->stack->frames[i])
			return false;
	return true;
}

/* Finds, going up from @fa, the slot of each of @stack's return addresses
 * in turn. False if one is not on the stack (then this stack is not
 * cached). */
OL_NO_ASAN static bool slot_record(struct cache_slot *s, const uintptr_t *fa, uintptr_t hi,
				   const struct ol_stack *stack)
{
	const uintptr_t *p = fa, *end = (const uintptr_t *)hi;
	unsigned i;

	for (i = 0; i < stack->depth; i++) {
		while (p < end && *p != (uintptr_t)stack->frames[i])
			p++;
		if (p >= end)
			return false;
		s->off[i] = (uint32_t)(p - fa);
		p++;
	}
	return true;
}

/* Unwinds and keeps the frames from @caller on. */
static const struct ol_stack *unwind(const void *caller)
{
	void *raw[OL_STACK_DEPTH + SKIP_MAX];
	void *const *frames = (void *const *)&caller;
	unsigned depth = 1;
#ifdef HAVE_EXECINFO_H
	int n = backtrace(raw, (int)(sizeof(raw) / sizeof(raw[0])));
	int i;

	for (i = 0; i < n && i <= SKIP_MAX; i++) {
		if (raw[i] == caller) {
			frames = raw + i;
			depth = (unsigned)(n - i);
			break;
		}
	}
#else
	(void)raw;
#endif
	return ol_stack_intern(frames, depth);
}

__attribute__((noinline)) const struct ol_stack *ol_stack_capture(const void *caller)
{
	/* Offsets are taken from this function's own frame, which has the
	 * same layout at every call. */
	const uintptr_t *fa = __builtin_frame_address(0);
	struct capture_thread *t = cap_thread();
	const struct ol_stack *stack;
	struct cache_slot *s = NULL;
	uintptr_t depth = 0;

	if (t && (uintptr_t)fa >= t->lo && (uintptr_t)fa < t->hi) {
		depth = t->hi - (uintptr_t)fa;
		s = &t->slot[slot_index(caller, depth)];
		if (s->stack && s->caller == caller && s->depth == depth && slot_matches(fa, s))
			return s->stack;
	}
	stack = unwind(caller);
	if (s && stack) {
		if (slot_record(s, fa, t->hi, stack)) {
			s->caller = caller;
			s->depth = depth;
			s->stack = stack;
		} else {
			s->stack = NULL;
		}
	}
	return stack;
}

/* ---- symbolise ------------------------------------------------------- */

struct ol_symbolizer {
#ifdef HAVE_LIBDW
	Dwfl *dwfl;
#endif
	int unused;
};

#ifdef HAVE_LIBDW
/* Separate debug info from local files only (/usr/lib/debug/.build-id,
 * where distributions install it): dwfl_standard_find_debuginfo() falls
 * back to debuginfod, which would load libcurl and perhaps go to the
 * network from inside a report. */
static int find_local_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
				Dwarf_Addr base, const char *file, const char *debuglink,
				GElf_Word crc, char **debuginfo_file_name)
{
	return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file, debuglink, crc,
					    debuginfo_file_name);
}

static char *debuginfo_path;
static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = find_local_debuginfo,
	.debuginfo_path = &debuginfo_path,
};
#endif

struct ol_symbolizer *ol_symbolizer_new(void)
{
	struct ol_symbolizer *sym = ol_calloc(OL_MEM_REPORT, 1, sizeof(*sym));

	if (!sym)
		return NULL;
#ifdef HAVE_LIBDW
	/* The modules mapped now, from /proc/self/maps; ELF files and DWARF
	 * are read lazily, for the addresses asked about. */
	sym->dwfl = dwfl_begin(&dwfl_callbacks);
	if (sym->dwfl && (dwfl_linux_proc_report(sym->dwfl, getpid()) != 0 ||
			  dwfl_report_end(sym->dwfl, NULL, NULL) != 0)) {
		dwfl_end(sym->dwfl);
		sym->dwfl = NULL;
	}
#endif
	return sym;
}

void ol_symbolizer_free(struct ol_symbolizer *sym)
{
	if (!sym)
		return;
#ifdef HAVE_LIBDW
	if (sym->dwfl)
		dwfl_end(sym->dwfl);
#endif
	ol_free(sym);
}

#if defined(HAVE_LIBDW) || defined(HAVE_DLADDR)
/* A symbol's name without its version ("__libc_start_main@@GLIBC_2.34"). */
static int name_len(const char *name)
{
	return (int)strcspn(name, "@");
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}
#endif

#ifdef HAVE_LIBDW
/* The source file and line of @pc, or NULL. libdw before 0.189 finds the
 * compilation unit through .debug_aranges, which clang writes only when
 * asked (-gdwarf-aranges): without them, look through the module's units
 * for the one that holds @pc. */
static const char *source_line(Dwfl_Module *mod, Dwarf_Addr pc, int *lineno)
{
	Dwfl_Line *line = dwfl_module_getsrc(mod, pc);
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;

	if (line)
		return dwfl_lineinfo(line, NULL, lineno, NULL, NULL, NULL);
	while ((cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL) {
		Dwarf_Line *l;

		if (dwarf_haspc(cu, pc - bias) <= 0)
			continue;
		l = dwarf_getsrc_die(cu, pc - bias);
		if (l && dwarf_lineno(l, lineno) == 0)
			return dwarf_linesrc(l, NULL, NULL);
		break;
	}
	return NULL;
}

static bool frame_libdw(struct ol_text *t, struct ol_symbolizer *sym, unsigned i, uintptr_t ret,
			bool *is_main)
{
	/* A return address points after the call: look up the call itself. */
	Dwarf_Addr pc = ret - 1;
	Dwfl_Module *mod;
	const char *name, *file = NULL, *module;
	GElf_Off off = 0;
	GElf_Sym elfsym;
	int lineno = 0;

	if (!sym || !sym->dwfl || !(mod = dwfl_addrmodule(sym->dwfl, pc)))
		return false;
	name = dwfl_module_addrinfo(mod, pc, &off, &elfsym, NULL, NULL, NULL);
	file = source_line(mod, pc, &lineno);
	module = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (name && file && lineno > 0)
		ol_text_add(t, "    #%u %.*s (%s:%d)\n", i, name_len(name), name, file, lineno);
	else if (name)
		ol_text_add(t, "    #%u %.*s+0x%llx (%s)\n", i, name_len(name), name,
			    (unsigned long long)off + 1, base_name(module));
	else
		ol_text_add(t, "    #%u %p (%s)\n", i, (void *)ret, base_name(module));
	*is_main = name && !strcmp(name, "main");
	return true;
}
#endif

#ifdef HAVE_DLADDR
static bool frame_dladdr(struct ol_text *t, unsigned i, uintptr_t ret, bool *is_main)
{
	Dl_info info;

	if (!dladdr((void *)(ret - 1), &info) || !info.dli_fname)
		return false;
	if (info.dli_sname && info.dli_saddr)
		ol_text_add(t, "    #%u %.*s+0x%lx (%s)\n", i, name_len(info.dli_sname), info.dli_sname,
			    (unsigned long)(ret - (uintptr_t)info.dli_saddr), base_name(info.dli_fname));
	else
		ol_text_add(t, "    #%u %p (%s+0x%lx)\n", i, (void *)ret, base_name(info.dli_fname),
			    (unsigned long)(ret - (uintptr_t)info.dli_fbase));
	*is_main = info.dli_sname && !strcmp(info.dli_sname, "main");
	return true;
}
#endif

/* Appends frame @i; returns true when it is main(), below which there is
 * only the C library's start-up code. */
static bool format_frame(struct ol_text *t, struct ol_symbolizer *sym, unsigned i, void *addr)
{
#if defined(HAVE_LIBDW) || defined(HAVE_DLADDR)
	uintptr_t ret = (uintptr_t)addr;
	bool is_main = false;
#endif

	(void)sym;
#ifdef HAVE_LIBDW
	if (frame_libdw(t, sym, i, ret, &is_main))
		return is_main;
#endif
#ifdef HAVE_DLADDR
	if (frame_dladdr(t, i, ret, &is_main))
		return is_main;
#endif
	ol_text_add(t, "    #%u %p\n", i, addr);
	return false;
}

void ol_stack_format(struct ol_text *t, struct ol_symbolizer *sym, const struct ol_stack *stack)
{
	unsigned i;

	if (!stack) {
		ol_text_add(t, "    (no stack: out of memory when it was taken)");
		return;
	}
	for (i = 0; i < stack->depth; i++)
		if (format_frame(t, sym, i, stack->frames[i]))
			break;
	/* No newline after the last frame: the report's end, or the caller's
	 * next line, adds it. */
	if (t->len && t->buf[t->len - 1] == '\n')
		t->buf[--t->len] = '\0';
}

const char *ol_backtrace_method(void)
{
	return
#if defined(HAVE_EXECINFO_H)
		"captured with backtrace()"
#else
		"only the caller's frame (no backtrace() on this platform)"
#endif
#if defined(HAVE_LIBDW)
		", symbolised with libdw (names and file:line)";
#elif defined(HAVE_DLADDR)
		", symbolised with dladdr() (exported names only)";
#else
		", not symbolised";
#endif
}
