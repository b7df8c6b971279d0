#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""objlife-lint: checks C code for the mistakes that scope-based cleanup
(objlife_auto/__free, guards, classes, systemd's _cleanup_, GLib's
g_autoptr/g_autofree, __attribute__((cleanup))) makes easy and no compiler
reports.

It works on clang's view of the code, after macro expansion: it runs
`clang -fsyntax-only -Xclang -ast-dump=json` on each file with the file's own
compiler flags and walks the functions defined in that file. Only the clang
binary and Python's standard library are needed.

Usage: objlife-lint [OPTIONS] FILE... [-- COMPILER-FLAGS]
See objlife-lint(1).
"""

import bisect
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

VERSION = "@VERSION@"
# configure writes the clang it found here; OBJLIFE_LINT_CLANG overrides it.
DEFAULT_CLANG = "@CLANG@"

RULES = [
    ("objlife-free-before-guard",
     "a cleanup variable defined with a placeholder (NULL) and assigned after "
     "a guard, class or other cleanup variable is cleaned up after that one "
     "ends, in the reverse order of the definitions, not of the assignments."),
    ("objlife-goto-with-cleanup",
     "goto and cleanup helpers never mix in one function: a goto can jump "
     "over a cleanup variable's initialisation (GCC accepts it) and the "
     "unwind labels duplicate what the cleanups do."),
    ("objlife-guard-in-case",
     "a guard or cleanup variable defined in a switch case without braces is "
     "in scope in the later cases, whose labels jump over its initialisation."),
    ("objlife-free-of-object",
     "an object from objlife_alloc() is released by dropping its reference "
     "(objlife_put or the type's _put); free() or ops->free on it skips the "
     "reference count and frees memory others may still use."),
    ("objlife-cleanup-uninitialized",
     "a cleanup variable without an initialiser has its cleanup run on "
     "whatever the stack held if the scope is left before the first "
     "assignment."),
    ("objlife-use-after-put",
     "a pointer used after the put that may have dropped the last reference, "
     "or after objlife_steal()/no_free_ptr() moved it out, reads freed memory "
     "or NULL."),
]

ALLOC_FUNCS = {"objlife_alloc", "objlife_alloc_size", "objlife_lookup"}
PUT_FUNCS = {"objlife_put", "objlife__put_inline", "objlife_put_mutex",
             "objlife_put_tracked"}
# Take a reference: a put after one of these on the same path is balanced
# (objlife_ref guards hold one for their scope).
GET_FUNCS = {"objlife_get", "objlife__get_inline", "objlife_get_tracked",
             "objlife__class_objlife_ref_constructor", "class_objlife_ref_constructor"}
STEAL_FUNCS = {"objlife__steal_result_must_be_used", "g_steal_pointer"}

IGNORE_RE = re.compile(r"objlife-lint:\s*ignore\s+([A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*)")


class CannotCheck(Exception):
    pass


# ---------------------------------------------------------------------------
# The AST: clang's JSON dump, with the locations it leaves out filled in
# ---------------------------------------------------------------------------

DECODER = json.JSONDecoder()


def split_top_level(text):
    """The dump's top-level declarations, as text chunks: each starts on a
    line that is exactly four spaces and a brace."""
    starts = [m.start() + 1 for m in re.finditer(r"\n    \{\n", text)]
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        yield text[s:e]


FILE_KEY = '"file": "'
INCLUDED_FROM_RE = re.compile(r'"includedFrom": \{\s*$')


def last_file(chunk):
    """The file of the last location the chunk writes (clang's JSON dump
    writes a location's file only when it differs from the one before, so
    the next chunk's locations are in this file until they say otherwise).
    An includedFrom is not a location."""
    end = len(chunk)
    while True:
        i = chunk.rfind(FILE_KEY, 0, end)
        if i < 0:
            return None
        if INCLUDED_FROM_RE.search(chunk, max(0, i - 64), i):
            end = i
            continue
        j = i + len(FILE_KEY)
        return json.loads(chunk[j - 1:chunk.index('"', j) + 1]) if '\\' not in chunk[j:chunk.index('"', j)] \
            else DECODER.raw_decode(chunk[j - 1:])[0]


def mentions(chunk, jfile):
    """Whether the chunk has a location in the file (whose JSON spelling is
    jfile), not counting the includedFrom of the headers it includes."""
    needle = FILE_KEY + jfile + '"'
    n = chunk.count(needle)
    if not n:
        return False
    return n > len(re.findall(r'"includedFrom": \{\s*' + re.escape(needle), chunk))


def main_functions(text, main_file):
    """The function definitions whose location is in the main file, parsed.
    Declarations from headers are skipped without parsing them: only the
    file they leave the dump's location state on is read from their text."""
    jfile = json.dumps(main_file)[1:-1]
    state = None
    out = []
    for chunk in split_top_level(text):
        if ('"kind": "FunctionDecl"' in chunk[:200] and '"CompoundStmt"' in chunk and
                (state == main_file or mentions(chunk, jfile))):
            try:
                node = DECODER.raw_decode(chunk.lstrip())[0]
            except ValueError:
                node = None
            if node is not None and function_file(node, state) == main_file:
                out.append(node)
        state = last_file(chunk) or state
    return out


def function_file(fn, state):
    """The file a function's location expands in."""
    loc = fn.get("loc") or {}
    for part in (loc.get("spellingLoc"), loc.get("expansionLoc")) if "expansionLoc" in loc else (loc,):
        if part and "file" in part:
            state = part["file"]
    return state


class Lines:
    """Line numbers from byte offsets in the checked text: clang's dump
    leaves most of them out."""

    def __init__(self, data):
        self.starts = [0] + [m.end() for m in re.finditer(b"\n", data)]

    def line(self, offset):
        return bisect.bisect_right(self.starts, offset)


LINES = Lines(b"")


def line_of(loc):
    return LINES.line(loc["offset"]) if loc and "offset" in loc else 0


def expansion(loc):
    if not loc:
        return None
    if "expansionLoc" in loc:
        return loc["expansionLoc"]
    return loc


def node_loc(node):
    """Where a node is, as the user wrote it: the expansion of a macro."""
    loc = node.get("loc")
    if not loc or ("offset" not in loc and "expansionLoc" not in loc):
        loc = node.get("range", {}).get("begin")
    return expansion(loc)


def in_macro(node):
    loc = node.get("loc")
    if not loc or ("offset" not in loc and "expansionLoc" not in loc):
        loc = node.get("range", {}).get("begin")
    return bool(loc) and "spellingLoc" in loc


def strip(e):
    while e and e.get("kind") in ("ImplicitCastExpr", "ParenExpr", "CStyleCastExpr",
                                  "ConstantExpr", "FullExpr", "ExprWithCleanups"):
        inner = e.get("inner") or []
        e = inner[0] if inner else None
    return e


def children(n):
    return n.get("inner") or []


def is_cleanup_var(n):
    return n.get("kind") == "VarDecl" and any(c.get("kind") == "CleanupAttr" for c in children(n))


def var_init(n):
    if "init" not in n:
        return None
    for c in children(n):
        if not c.get("kind", "").endswith("Attr"):
            return c
    return None


def callee_name(call):
    inner = children(call)
    if not inner:
        return None
    c = strip(inner[0])
    if not c:
        return None
    if c.get("kind") == "DeclRefExpr":
        return c.get("referencedDecl", {}).get("name")
    if c.get("kind") == "MemberExpr":
        return "->" + c.get("name", "")
    return None


def ref_var(e):
    """The variable whose object an expression names: v or &v->member
    (&v->child->ref is another object), through casts."""
    e = strip(e)
    if not e:
        return None
    if e.get("kind") == "UnaryOperator" and e.get("opcode") == "&":
        e = strip(children(e)[0]) if children(e) else None
        if e and e.get("kind") == "MemberExpr":
            e = strip(children(e)[0]) if children(e) else None
    if e and e.get("kind") == "DeclRefExpr":
        d = e.get("referencedDecl", {})
        if d.get("kind") in ("VarDecl", "ParmVarDecl"):
            return d.get("id")
    return None


def describe(var):
    name = var.get("name", "")
    qt = var.get("type", {}).get("qualType", "")
    # A class's type: objlife__class_NAME_t, or class_NAME_t (the kernel's
    # name, under OBJLIFE_SHORT_NAMES).
    m = re.match(r"(?:objlife__)?class_(\w+)_t$", qt)
    if name.startswith("objlife__guard_") and m:
        return "guard(%s)" % m.group(1)
    if (name.startswith("objlife__scope_") or name == "scope") and m:
        return "scoped_guard(%s)" % m.group(1)
    if m:
        return "'%s' (class %s)" % (name, m.group(1))
    return "'%s'" % name


def is_placeholder(e):
    e = strip(e)
    if not e:
        return False
    k = e.get("kind")
    if k in ("IntegerLiteral", "CharacterLiteral", "FloatingLiteral", "GNUNullExpr",
             "CXXNullPtrLiteralExpr", "ImplicitValueInitExpr"):
        return True
    if k == "UnaryOperator" and e.get("opcode") in ("-", "+", "~"):
        return is_placeholder(children(e)[0] if children(e) else None)
    if k == "DeclRefExpr" and e.get("referencedDecl", {}).get("kind") == "EnumConstantDecl":
        return True
    if k == "InitListExpr":
        return all(is_placeholder(c) for c in children(e))
    return False


# ---------------------------------------------------------------------------
# The rules, over one function
# ---------------------------------------------------------------------------

class Finding:
    def __init__(self, rule, loc, message, notes=()):
        self.rule = rule
        self.line = line_of(loc)
        self.col = loc.get("col") if loc else 0
        self.message = message
        self.notes = [(line_of(n_loc), n_loc.get("col"), msg) for n_loc, msg in notes if n_loc]


class FunctionIndex:
    """One preorder walk of a function body: every node with its ancestors."""

    def __init__(self, fn):
        self.fn = fn
        self.nodes = []         # (seq, node, ancestors tuple of ids)
        self.by_id = {}
        body = [c for c in children(fn) if c.get("kind") == "CompoundStmt"]
        self.body = body[-1] if body else None
        if self.body:
            self._walk(self.body)

    def _walk(self, root):
        stack = [(root, ())]
        seq = 0
        while stack:
            n, anc = stack.pop()
            if not isinstance(n, dict):
                continue
            nid = id(n)
            self.nodes.append((seq, n, anc))
            self.by_id[nid] = (seq, n, anc)
            seq += 1
            sub = anc + (nid,)
            for c in reversed(children(n)):
                if isinstance(c, dict):
                    stack.append((c, sub))


def check_function(fn, ref_prefixes):
    idx = FunctionIndex(fn)
    if not idx.body:
        return []
    findings = []
    cleanups = []       # (seq, var, scope node, ancestors)
    gotos = []
    labels = {}
    assigns = {}        # var id -> [(seq, node, ancestors)]
    switches = []
    frees = []
    allocs = {}         # var id -> (seq, loc, name)
    for seq, n, anc in idx.nodes:
        k = n.get("kind")
        if k == "VarDecl":
            if is_cleanup_var(n):
                scope = idx.by_id[anc[-2]][1] if len(anc) >= 2 else None
                cleanups.append((seq, n, scope, anc))
            init = var_init(n)
            if init is not None and alloc_call(init):
                allocs[n.get("id")] = (seq, node_loc(n), alloc_call(init))
        elif k == "GotoStmt":
            gotos.append(n)
        elif k == "LabelStmt":
            labels[n.get("declId")] = n
        elif k == "BinaryOperator" and n.get("opcode") == "=":
            lhs, rhs = children(n)[0], children(n)[1]
            v = strip(lhs)
            if v and v.get("kind") == "DeclRefExpr":
                vid = v.get("referencedDecl", {}).get("id")
                assigns.setdefault(vid, []).append((seq, n, anc))
                a = alloc_call(rhs)
                if a:
                    allocs[vid] = (seq, node_loc(n), a)
        elif k == "SwitchStmt":
            switches.append(n)
        elif k == "CallExpr":
            name = callee_name(n)
            if name in ("free", "->free") and len(children(n)) > 1:
                # free(p); a type's ops->free(ops, mem, size) takes it second.
                for arg in children(n)[1:] if name == "->free" else children(n)[1:2]:
                    frees.append((seq, n, ref_var(arg), name))

    # objlife-cleanup-uninitialized
    for seq, var, scope, anc in cleanups:
        if "init" not in var:
            findings.append(Finding(
                "objlife-cleanup-uninitialized", node_loc(var),
                "%s has a cleanup but no initialiser: leaving the scope before its first "
                "assignment runs the cleanup on an indeterminate value; initialise it where "
                "it is defined" % describe(var)))

    # objlife-free-before-guard
    for seq, var, scope, anc in cleanups:
        init = var_init(var)
        if init is None or not is_placeholder(init):
            continue
        later = [a for a in assigns.get(var.get("id"), []) if a[0] > seq]
        if not later:
            continue
        aseq, anode, aanc = later[0]
        if scope is None or id(scope) not in aanc:
            continue
        for wseq, w, wscope, wanc in cleanups:
            if not (seq < wseq < aseq) or w is var:
                continue
            if wscope is None or wscope.get("kind") != "CompoundStmt" or id(wscope) not in aanc:
                continue
            what = describe(w)
            findings.append(Finding(
                "objlife-free-before-guard", node_loc(var),
                "%s is defined with a placeholder and assigned at line %s, after %s is "
                "defined: cleanups run in the reverse order of the definitions, so its cleanup "
                "runs after %s ends; define and assign it in one statement after %s" %
                (describe(var), line_of(node_loc(anode)), what, what, what),
                [(node_loc(w), "%s, defined here, ends before %s is cleaned up" %
                  (what, describe(var)))]))
            break

    # objlife-goto-with-cleanup
    user_gotos = []
    for g in gotos:
        label = labels.get(g.get("targetLabelDeclId"))
        if label is not None and in_macro(label) and in_macro(g) and \
                node_loc(label).get("offset") == node_loc(g).get("offset"):
            continue        # a helper's own loop (scoped_guard), not the user's goto
        user_gotos.append(g)
    if user_gotos and cleanups:
        var = cleanups[0][1]
        g = user_gotos[0]
        findings.append(Finding(
            "objlife-goto-with-cleanup", node_loc(var),
            "%s has a cleanup in function '%s', which uses goto: never mix goto and "
            "cleanup helpers in one function; convert all of it or none" %
            (describe(var), fn.get("name", "?")),
            [(node_loc(g), "goto '%s' here" % labels.get(g.get("targetLabelDeclId"), {}).get("name", "?")
              if labels.get(g.get("targetLabelDeclId")) else "goto here")]))

    # objlife-guard-in-case
    for sw in switches:
        body = children(sw)[-1] if children(sw) else None
        if not body or body.get("kind") != "CompoundStmt":
            continue
        items = children(body)
        seen_label = False
        pending = []
        for item in items:
            n = item
            is_label = False
            while n and n.get("kind") in ("CaseStmt", "DefaultStmt", "LabelStmt"):
                if n.get("kind") in ("CaseStmt", "DefaultStmt"):
                    is_label = True
                    if pending:
                        for var in pending:
                            findings.append(Finding(
                                "objlife-guard-in-case", node_loc(var),
                                "%s is defined in a switch case without braces: a later case "
                                "label jumps over its initialisation into its scope; put the "
                                "case's statements in braces" % describe(var),
                                [(node_loc(n), "this case label jumps over it")]))
                        pending = []
                    seen_label = True
                n = children(n)[-1] if children(n) else None
            if n and n.get("kind") == "DeclStmt" and (seen_label or is_label):
                pending.extend(c for c in children(n) if is_cleanup_var(c))

    # objlife-free-of-object
    for seq, call, vid, name in frees:
        if vid in allocs and allocs[vid][0] < seq:
            aseq, aloc, aname = allocs[vid]
            fname = "free()" if name == "free" else "ops->free()"
            findings.append(Finding(
                "objlife-free-of-object", node_loc(call),
                "%s on a pointer from %s(): objects are put, never freed; drop the "
                "reference with objlife_put() or the type's _put" % (fname, aname),
                [(aloc, "allocated here")]))

    # objlife-use-after-put
    findings.extend(UseAfterPut(ref_prefixes).run(idx.body))
    return findings


def alloc_call(e):
    """The allocator's name if the expression's value comes from
    objlife_alloc/objlife_alloc_size/objlife_lookup (through casts)."""
    e = strip(e)
    while e and e.get("kind") in ("BinaryOperator",) and e.get("opcode") in ("+", "-"):
        e = strip(children(e)[0])
    if e and e.get("kind") == "CallExpr":
        name = callee_name(e)
        if name in ALLOC_FUNCS:
            return "objlife_alloc" if name == "objlife_alloc_size" and in_macro(e) else name
    return None


TERMINATORS = ("ReturnStmt", "GotoStmt", "BreakStmt", "ContinueStmt")
NORETURN = {"abort", "exit", "_exit", "g_error", "g_assert_not_reached", "__assert_fail"}


class UseAfterPut:
    """A walk in evaluation order that keeps, for each variable, the put or
    steal that may have ended it. A branch that leaves (return, break,
    continue, goto, abort) does not reach what follows it."""

    def __init__(self, ref_prefixes):
        self.ref_prefixes = ref_prefixes
        self.findings = []
        self.reported = set()

    def run(self, body):
        self.stmt(body, {})
        return self.findings

    def is_put(self, name):
        if name in PUT_FUNCS:
            return True
        return bool(name) and name.endswith("_put") and name[:-4] in self.ref_prefixes

    def is_get(self, name):
        if name in GET_FUNCS:
            return True
        return bool(name) and name.endswith("_get") and name[:-4] in self.ref_prefixes

    def stmt(self, n, st):
        """Walks n with state st (var id -> (loc, what)); returns the state
        after it, or None when n never completes normally."""
        if st is None or not isinstance(n, dict):
            return st
        k = n.get("kind")
        ch = children(n)
        if k == "CompoundStmt":
            for c in ch:
                st = self.stmt(c, st)
                if st is None:
                    return None
            return st
        if k == "IfStmt":
            # inner: [init?, cond var?, cond, then, else?]; flags tell which.
            parts = list(ch)
            has_else = n.get("hasElse", False)
            els = parts.pop() if has_else else None
            then = parts.pop()
            for p in parts:
                st = self.stmt(p, st)
            a = self.stmt(then, dict(st))
            b = self.stmt(els, dict(st)) if els is not None else dict(st)
            return merge(a, b)
        if k in ("WhileStmt", "ForStmt", "DoStmt", "SwitchStmt"):
            if not ch:
                return st
            body = ch[-1] if k != "DoStmt" else ch[0]
            rest = [c for c in ch if c is not body]
            if k == "DoStmt":
                after = self.stmt(body, dict(st))
                st = merge(st, after)
                for c in rest:
                    st = self.stmt(c, st) or st
                return st
            for c in rest:
                # A helper's loop jumps out of its increment (scoped_guard):
                # that does not end the path.
                st = self.stmt(c, st) or st
            after = self.stmt(body, dict(st))
            return merge(st, after)
        if k in TERMINATORS:
            for c in ch:
                st = self.stmt(c, st)
            return None
        if k in ("UnaryExprOrTypeTraitExpr",):
            return st
        if k == "BinaryOperator" and n.get("opcode") == "=":
            lhs, rhs = ch[0], ch[1]
            st = self.stmt(rhs, st)
            v = strip(lhs)
            if v and v.get("kind") == "DeclRefExpr":
                st = dict(st)
                vid = v.get("referencedDecl", {}).get("id")
                st.pop(vid, None)
                st.pop(("held", vid), None)
                return st
            return self.stmt(lhs, st)
        if k == "DeclRefExpr":
            d = n.get("referencedDecl", {})
            vid = d.get("id")
            if vid in st and vid not in self.reported:
                self.reported.add(vid)
                ploc, what = st[vid]
                self.findings.append(Finding(
                    "objlife-use-after-put", node_loc(n),
                    "'%s' is used after %s, with no new value in between" % (d.get("name"), what),
                    [(ploc, "%s here" % what)]))
            return st
        if k == "CallExpr":
            name = callee_name(n)
            for c in ch:
                st = self.stmt(c, st)
                if st is None:
                    return None
            if name in NORETURN:
                return None
            if self.is_get(name) and len(ch) > 1:
                vid = ref_var(ch[1])
                if vid:
                    st = dict(st)
                    st[("held", vid)] = st.get(("held", vid), 0) + 1
            elif self.is_put(name) and len(ch) > 1:
                vid = ref_var(ch[1])
                if vid and st.get(("held", vid)):
                    st = dict(st)
                    st[("held", vid)] -= 1
                elif vid:
                    st = dict(st)
                    st[vid] = (node_loc(n), "%s() may have dropped its last reference" % name
                               if name != "objlife__put_inline" else
                               "objlife_put() may have dropped its last reference")
            elif name in STEAL_FUNCS and len(ch) > 1:
                vid = find_address_of(ch[1])
                if vid:
                    st = dict(st)
                    st[vid] = (node_loc(n), "its value was moved out (objlife_steal)"
                               if name != "g_steal_pointer" else
                               "its value was moved out (g_steal_pointer)")
            return st
        if k == "VarDecl":
            init = var_init(n)
            if init is not None:
                st = self.stmt(init, st)
            if st is not None and n.get("id") in st:
                st = dict(st)
                st.pop(n.get("id"))
            return st
        for c in ch:
            st = self.stmt(c, st)
            if st is None:
                return None
        return st


def merge(a, b):
    if a is None:
        return b
    if b is None:
        return a
    m = dict(a)
    for k, v in b.items():
        m.setdefault(k, v)
    # A reference counts as held only if both paths hold it.
    for k in list(m):
        if isinstance(k, tuple):
            m[k] = min(a.get(k, 0), b.get(k, 0))
    return m


def find_address_of(e):
    """The user's variable whose address a steal takes (&(p) inside the
    helper's statement expression)."""
    stack = [e]
    while stack:
        n = stack.pop()
        if not isinstance(n, dict):
            continue
        if n.get("kind") == "UnaryOperator" and n.get("opcode") == "&":
            t = strip(children(n)[0]) if children(n) else None
            if t and t.get("kind") == "DeclRefExpr":
                d = t.get("referencedDecl", {})
                if d.get("kind") in ("VarDecl", "ParmVarDecl") and \
                        not d.get("name", "").startswith("objlife__"):
                    return d.get("id")
        stack.extend(reversed(children(n)))
    return None


# ---------------------------------------------------------------------------
# Running clang
# ---------------------------------------------------------------------------

CASE_LABEL_RE = re.compile(r"(?:\bcase\b[^;{}]*?|\bdefault\s*)(:)\s*$", re.S)
DIAG_RE = re.compile(r"^(.*?):(\d+):(\d+): (error|fatal error): (.*)$")


UNKNOWN_ARG_RE = re.compile(r"^clang(?:-[\d.]+)?: error: unknown argument: '(.*)'", re.M)


def run_clang(clang, path, flags, cwd):
    """clang's syntax tree of path, as JSON text, and its errors. Flags that
    only GCC knows (compile_commands.json of a GCC build) are left out: they
    do not change what the code means."""
    for _ in range(2):
        cmd = [clang, "-fsyntax-only", "-w", "-ferror-limit=0", "-fno-color-diagnostics",
               "-fno-caret-diagnostics", "-Xclang", "-ast-dump=json"] + flags + [path]
        try:
            p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            raise CannotCheck("cannot run %s: %s" % (clang, e.strerror))
        err = p.stderr.decode("utf-8", "replace")
        unknown = set(UNKNOWN_ARG_RE.findall(err))
        if not unknown:
            break
        flags = [f for f in flags if f not in unknown]
    return p.stdout.decode("utf-8", "replace"), err, p.returncode


def blocking_errors(stderr, path):
    """clang's errors other than the jumps into a cleanup's scope (which the
    rules report, and after which clang's AST is complete)."""
    out = []
    for line in stderr.splitlines():
        m = DIAG_RE.match(line)
        if not m:
            continue
        if m.group(5).startswith("cannot jump from"):
            continue
        out.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(5), line))
    return out


def declarations_after_labels(source, errors, path):
    """clang 14 refuses a declaration right after a case label ("expected
    expression"), which GCC compiles. The positions of those errors that do
    follow a label, as offsets in source where a ';' makes the code valid C
    without moving any line."""
    lines = source.split("\n")
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln) + 1)
    fixes = []
    same = os.path.realpath(path)
    for f, line, col, msg, raw in errors:
        if msg != "expected expression" or os.path.realpath(f) != same:
            continue
        off = starts[line - 1] + col - 1
        base = max(0, off - 400)
        m = CASE_LABEL_RE.search(blank_comments(source[base:off]))
        if m:
            fixes.append(base + m.start(1) + 1)
    return fixes


def blank_comments(s):
    """s with its comments turned into spaces, every offset kept."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, s, flags=re.S)


def check_file(clang, path, flags, cwd):
    abspath = os.path.join(cwd, path) if not os.path.isabs(path) else path
    if not os.path.isfile(abspath):
        raise CannotCheck("no such file")
    with open(abspath, "rb") as f:
        data = f.read()
    source = data.decode("utf-8", "replace")
    out, err, rc = run_clang(clang, abspath, flags, cwd)
    main_name = abspath
    errors = blocking_errors(err, abspath)
    tmpdir = None
    try:
        if errors:
            fixes = declarations_after_labels(source, errors, abspath)
            if fixes:
                # Check a copy in which each such case label is followed by
                # an empty statement, from a directory of its own, finding
                # the original's "" includes first.
                fixed = source
                for off in sorted(fixes, reverse=True):
                    # A blank after the colon becomes the ';' (no column
                    # moves); otherwise the ';' is inserted there.
                    if fixed[off:off + 1] in (" ", "\t"):
                        fixed = fixed[:off] + ";" + fixed[off + 1:]
                    else:
                        fixed = fixed[:off] + ";" + fixed[off:]
                tmpdir = tempfile.mkdtemp(prefix="objlife-lint-")
                copy = os.path.join(tmpdir, os.path.basename(abspath))
                data = fixed.encode("utf-8")
                with open(copy, "wb") as f:
                    f.write(data)
                out, err, rc = run_clang(clang, copy, ["-iquote", os.path.dirname(abspath)] + flags, cwd)
                main_name = copy
                errors = blocking_errors(err, copy)
        if errors:
            shown = []
            for f_, line, col, msg, raw in errors[:5]:
                if main_name != abspath and f_ == main_name:
                    raw = raw.replace(main_name, path, 1)
                shown.append(raw)
            raise CannotCheck("clang cannot compile it\n" + "\n".join(shown))
        if not out.strip():
            raise CannotCheck("clang printed no syntax tree\n" + err.strip())
        ref_prefixes = set(re.findall(r'"name": "objlife__ref_funcs_(\w+?)_t"', out))
        global LINES
        LINES = Lines(data)
        findings = []
        for fn in main_functions(out, main_name):
            findings.extend(check_function(fn, ref_prefixes))
    finally:
        if tmpdir:
            for name in os.listdir(tmpdir):
                os.unlink(os.path.join(tmpdir, name))
            os.rmdir(tmpdir)
    return source, findings


def silenced(source_lines, finding):
    for ln in (finding.line, finding.line - 1):
        if 1 <= ln <= len(source_lines):
            m = IGNORE_RE.search(source_lines[ln - 1])
            if m and finding.rule in re.split(r"\s*,\s*", m.group(1)):
                return True
    return False


# ---------------------------------------------------------------------------
# compile_commands.json
# ---------------------------------------------------------------------------

DROP_WITH_ARG = {"-o", "-MF", "-MT", "-MQ", "-Xlinker"}
DROP = {"-c", "-MD", "-MMD", "-MP", "-M", "-MM", "-pipe"}


def flags_from_database(build_dir, path):
    db = os.path.join(build_dir, "compile_commands.json")
    try:
        with open(db, encoding="utf-8") as f:
            entries = json.load(f)
    except OSError as e:
        raise CannotCheck("cannot read %s: %s" % (db, e.strerror))
    except ValueError:
        raise CannotCheck("%s is not JSON" % db)
    want = os.path.realpath(path)
    for ent in entries:
        d = ent.get("directory", build_dir)
        src = ent.get("file", "")
        if os.path.realpath(os.path.join(d, src)) != want:
            continue
        args = ent.get("arguments") or shlex.split(ent.get("command", ""))
        flags = []
        it = iter(args[1:])
        for a in it:
            if a in DROP_WITH_ARG:
                next(it, None)
                continue
            if a in DROP or a.startswith("-o") and len(a) > 2 and a != "-o":
                continue
            if os.path.realpath(os.path.join(d, a)) == want:
                continue
            flags.append(a)
        return flags, d
    raise CannotCheck("not in %s" % db)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

USAGE = """usage: objlife-lint [OPTIONS] FILE... [-- COMPILER-FLAGS]

Checks C files for misuse of scope-based cleanup (objlife_auto/__free, guards,
classes, _cleanup_, g_autoptr, __attribute__((cleanup))) and of libobjlife
objects. One line per finding: FILE:LINE:COL: warning: MESSAGE [RULE].
Exit status: 0 clean, 1 findings, 2 a file could not be checked.

  -p BUILD-DIR    read each file's flags from BUILD-DIR/compile_commands.json
  --clang=PATH    the clang to run (default: %s; or $OBJLIFE_LINT_CLANG)
  --list-rules    print every rule with why it exists, and exit
  --version       print the version and exit
  -h, --help      print this help and exit

Flags after -- (-I, -D, -std, ...) are those the files are compiled with.
Silence a finding with a comment on its line, or on the line before:
  /* objlife-lint: ignore RULE: the reason */
"""


def default_clang():
    env = os.environ.get("OBJLIFE_LINT_CLANG")
    if env:
        return env
    if DEFAULT_CLANG and not DEFAULT_CLANG.startswith("@"):
        return DEFAULT_CLANG
    return "clang"


def main(argv):
    sys.setrecursionlimit(20000)
    files = []
    flags = []
    build_dir = None
    clang = default_clang()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            flags = argv[i + 1:]
            break
        if a in ("-h", "--help"):
            sys.stdout.write(USAGE % default_clang())
            return 0
        if a == "--version":
            print("objlife-lint", VERSION if not VERSION.startswith("@") else "(uninstalled)")
            return 0
        if a == "--list-rules":
            for name, why in RULES:
                print("%s: %s" % (name, why))
            return 0
        if a == "-p":
            if i + 1 >= len(argv):
                sys.stderr.write("objlife-lint: -p needs a build directory\n")
                return 2
            build_dir = argv[i + 1]
            i += 2
            continue
        if a.startswith("-p") and len(a) > 2:
            build_dir = a[2:]
        elif a.startswith("--clang="):
            clang = a[len("--clang="):]
        elif a.startswith("-") and a != "-":
            sys.stderr.write("objlife-lint: unknown option %s\n%s" % (a, USAGE % default_clang()))
            return 2
        else:
            files.append(a)
        i += 1
    if not files:
        sys.stderr.write(USAGE % default_clang())
        return 2

    status = 0
    for path in files:
        try:
            if build_dir is not None:
                fflags, cwd = flags_from_database(build_dir, path)
                fflags = fflags + flags
            else:
                fflags, cwd = flags, os.getcwd()
            source, findings = check_file(clang, os.path.abspath(path), fflags, cwd)
        except CannotCheck as e:
            # clang's own lines name the file as it was given.
            msg = str(e).replace(os.path.abspath(path), path)
            sys.stderr.write("%s: error: objlife-lint could not check this file: %s\n" % (path, msg))
            status = 2
            continue
        lines = source.split("\n")
        findings.sort(key=lambda f: (f.line or 0, f.col or 0, f.rule))
        seen = set()
        for f in findings:
            key = (f.line, f.col, f.rule)
            if key in seen or silenced(lines, f):
                continue
            seen.add(key)
            print("%s:%s:%s: warning: %s [%s]" % (path, f.line, f.col, f.message, f.rule))
            for line, col, msg in f.notes:
                print("%s:%s:%s: note: %s" % (path, line, col, msg))
            if status == 0:
                status = 1
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
