/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Symbolisation: the raw return addresses of a stack (stack.c) turned into
 * function names and source lines, only when a report is written.
 *
 * elfutils' libdw (libdwfl), when configure finds it: function names from
 * the symbol table, static functions included, and file:line from DWARF,
 * which is what a leak report is for. Otherwise dladdr(): exported names
 * only (link programs with -rdynamic), as "function+0xoff (module)"; a
 * static function shows as the exported symbol before it. Otherwise raw
 * addresses. configure decides (its Diagnostics section).
 */
#include "symbolize.h"
#include "diag.h"

#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBDW
# include <elfutils/libdwfl.h>
#endif
#ifdef HAVE_DLADDR
# include <dlfcn.h>
#endif

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
