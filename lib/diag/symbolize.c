/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Symbolisation: the raw return addresses of a stack (stack.c) turned into
 * function names and source lines, only when a report is written.
 *
 * elfutils' libdw (libdwfl), when configure finds it: function names from
 * the symbol table, static functions included, and file:line from DWARF,
 * which is what a leak report is for; code inlined into a frame is shown
 * as frames of its own, each "(inlined into" the next, as gdb and
 * valgrind show it from the same DWARF. Otherwise dladdr(): exported names
 * only (link programs with -rdynamic), as "function+0xoff (module)"; a
 * static function shows as the exported symbol before it. Otherwise raw
 * addresses. configure decides (its Diagnostics section).
 */
#include "symbolize.h"
#include "diag.h"

#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBDW
# include <dwarf.h>
# include <elfutils/libdwfl.h>
# include <stdlib.h>   /* free(): libdw's arrays come from malloc() */
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
/* The compilation unit that holds @pc, or NULL; *@bias turns @pc into the
 * unit's addresses. libdw before 0.189 finds it through .debug_aranges,
 * which clang writes only when asked (-gdwarf-aranges): without them,
 * look through the module's units for the one that holds @pc. */
static Dwarf_Die *unit_of(Dwfl_Module *mod, Dwarf_Addr pc, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, bias);

	if (cu)
		return cu;
	while ((cu = dwfl_module_nextcu(mod, cu, bias)) != NULL)
		if (dwarf_haspc(cu, pc - *bias) > 0)
			return cu;
	return NULL;
}

/* The source file and line of @pc, or NULL. */
static const char *source_line(Dwfl_Module *mod, Dwarf_Addr pc, int *lineno)
{
	Dwfl_Line *line = dwfl_module_getsrc(mod, pc);
	Dwarf_Die *cu;
	Dwarf_Addr bias;
	Dwarf_Line *l;

	if (line)
		return dwfl_lineinfo(line, NULL, lineno, NULL, NULL, NULL);
	cu = unit_of(mod, pc, &bias);
	l = cu ? dwarf_getsrc_die(cu, pc - bias) : NULL;
	if (l && dwarf_lineno(l, lineno) == 0)
		return dwarf_linesrc(l, NULL, NULL);
	return NULL;
}

/* The scopes that hold @pc, innermost first, nested as the unit lays
 * them out: each inlined call (DW_TAG_inlined_subroutine) inside the code
 * it was inlined into, up to the function and the unit. dwarf_getscopes()
 * finds the innermost, but above an inlined call it goes on with the
 * scopes of the inlined function's own definition (where a debugger looks
 * up names), not with its caller; dwarf_getscopes_die() on the innermost
 * gives the nesting, as eu-addr2line -i and eu-stack -i read it.
 * Returns how many (0: none, no DWARF for @pc), *@scopes to free(). */
static int scopes_of(Dwfl_Module *mod, Dwarf_Addr pc, Dwarf_Die **scopes)
{
	Dwarf_Die *found = NULL, innermost;
	Dwarf_Addr bias;
	Dwarf_Die *cu = unit_of(mod, pc, &bias);
	int n = cu ? dwarf_getscopes(cu, pc - bias, &found) : 0;

	*scopes = NULL;
	if (n <= 0) {
		free(found);
		return 0;
	}
	innermost = found[0];
	free(found);
	n = dwarf_getscopes_die(&innermost, scopes);
	if (n <= 0) {
		free(*scopes);
		*scopes = NULL;
		return 0;
	}
	return n;
}

/* The name of an inlined function: the one its symbol would have had had
 * it not been inlined (the linkage name, mangled in C++, as the symbol
 * table names the other frames), else its source name. The inlined
 * instance has neither: they are on its abstract origin, which
 * dwarf_attr_integrate() follows. */
static const char *inlined_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));

	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name ? name : "??";
}

/* The file and line of the call that an inlined instance replaced: where
 * the code it was inlined into was when it "called" it. *@file is NULL
 * and *@lineno 0 when DWARF does not say. */
static void call_site(Dwarf_Die *die, Dwarf_Files *files, const char **file, int *lineno)
{
	Dwarf_Attribute attr;
	Dwarf_Word val;

	*file = NULL;
	*lineno = 0;
	if (files && dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &val) == 0)
		*file = dwarf_filesrc(files, val, NULL, NULL);
	if (*file && dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &val) == 0 && val > 0 &&
	    val <= INT32_MAX)
		*lineno = (int)val;
	if (!*lineno)
		*file = NULL;
}

/* Appends one line per function inlined at @pc, innermost first, each
 * numbered from *@n on (which it advances) and followed by the function
 * it was inlined into, the last one into @outer (the frame's own name,
 * which the caller prints next). On entry *@file and *@lineno are the
 * line of @pc, in the innermost function; on return they are the line in
 * @outer (*@file NULL when DWARF does not say). Nothing inlined: nothing
 * appended, nothing changed. */
static void inlined_frames(struct ol_text *t, Dwfl_Module *mod, Dwarf_Addr pc, unsigned *n,
			   const char *outer, const char **file, int *lineno)
{
	Dwarf_Die *scopes, cu;
	Dwarf_Files *files = NULL;
	int nscopes = scopes_of(mod, pc, &scopes), i, next;

	if (nscopes <= 0)
		return;
	if (!dwarf_diecu(&scopes[0], &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, NULL) != 0)
		files = NULL;
	for (i = 0; i < nscopes; i = next) {
		const char *into;

		/* The function itself ends the inlined ones. */
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
			break;
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine) {
			next = i + 1;   /* a lexical block */
			continue;
		}
		/* What it was inlined into: the next inlined instance out, or
		 * the function the frame is named for. */
		for (next = i + 1; next < nscopes; next++)
			if (dwarf_tag(&scopes[next]) == DW_TAG_inlined_subroutine ||
			    dwarf_tag(&scopes[next]) == DW_TAG_subprogram)
				break;
		into = next < nscopes && dwarf_tag(&scopes[next]) == DW_TAG_inlined_subroutine
			       ? inlined_name(&scopes[next]) : outer;
		if (*file)
			ol_text_add(t, "    #%u %.*s (%s:%d) (inlined into %.*s)\n", (*n)++,
				    name_len(inlined_name(&scopes[i])), inlined_name(&scopes[i]), *file,
				    *lineno, name_len(into), into);
		else
			ol_text_add(t, "    #%u %.*s (inlined into %.*s)\n", (*n)++,
				    name_len(inlined_name(&scopes[i])), inlined_name(&scopes[i]),
				    name_len(into), into);
		call_site(&scopes[i], files, file, lineno);
	}
	free(scopes);
}

static bool frame_libdw(struct ol_text *t, struct ol_symbolizer *sym, unsigned *n, uintptr_t ret,
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
	/* Where lines are known, so are inlined calls: the line of @pc is then
	 * the innermost inlined function's, and the frame's own is the line of
	 * the call that was inlined. */
	if (name && file && lineno > 0)
		inlined_frames(t, mod, pc, n, name, &file, &lineno);
	if (name && file && lineno > 0)
		ol_text_add(t, "    #%u %.*s (%s:%d)\n", (*n)++, name_len(name), name, file, lineno);
	else if (name)
		ol_text_add(t, "    #%u %.*s+0x%llx (%s)\n", (*n)++, name_len(name), name,
			    (unsigned long long)off + 1, base_name(module));
	else
		ol_text_add(t, "    #%u %p (%s)\n", (*n)++, (void *)ret, base_name(module));
	*is_main = name && !strcmp(name, "main");
	return true;
}
#endif

#ifdef HAVE_DLADDR
static bool frame_dladdr(struct ol_text *t, unsigned *n, uintptr_t ret, bool *is_main)
{
	Dl_info info;

	if (!dladdr((void *)(ret - 1), &info) || !info.dli_fname)
		return false;
	if (info.dli_sname && info.dli_saddr)
		ol_text_add(t, "    #%u %.*s+0x%lx (%s)\n", (*n)++, name_len(info.dli_sname), info.dli_sname,
			    (unsigned long)(ret - (uintptr_t)info.dli_saddr), base_name(info.dli_fname));
	else
		ol_text_add(t, "    #%u %p (%s+0x%lx)\n", (*n)++, (void *)ret, base_name(info.dli_fname),
			    (unsigned long)(ret - (uintptr_t)info.dli_fbase));
	*is_main = info.dli_sname && !strcmp(info.dli_sname, "main");
	return true;
}
#endif

/* Appends the frame at @addr, numbered *@n, and before it, with libdw, the
 * functions inlined there, numbered on from *@n as gdb numbers them; *@n
 * is advanced past them all. Returns true when the frame is main(), below
 * which there is only the C library's start-up code. */
static bool format_frame(struct ol_text *t, struct ol_symbolizer *sym, unsigned *n, void *addr)
{
#if defined(HAVE_LIBDW) || defined(HAVE_DLADDR)
	uintptr_t ret = (uintptr_t)addr;
	bool is_main = false;
#endif

	(void)sym;
#ifdef HAVE_LIBDW
	if (frame_libdw(t, sym, n, ret, &is_main))
		return is_main;
#endif
#ifdef HAVE_DLADDR
	if (frame_dladdr(t, n, ret, &is_main))
		return is_main;
#endif
	ol_text_add(t, "    #%u %p\n", (*n)++, addr);
	return false;
}

void ol_stack_format(struct ol_text *t, struct ol_symbolizer *sym, const struct ol_stack *stack)
{
	unsigned i, n = 0;

	if (!stack) {
		ol_text_add(t, "    (no stack: out of memory when it was taken)");
		return;
	}
	for (i = 0; i < stack->depth; i++)
		if (format_frame(t, sym, &n, stack->frames[i]))
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
