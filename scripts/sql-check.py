#!/usr/bin/python3
"""sql-check.py - every SQL statement of Kith's modules, checked on sqlite
and on PostgreSQL (issue 19: the SQL text is written once, in the subset
both accept).

It finds the SQL of src/*.c (not the storage layer's own files: db.c,
db_sqlite*.c, fts.c, db_pg*.c): the string arguments of db_prepare, db_cached, db_exec, db_exec_id,
db_int, db_ids_select and db_script, after the C preprocessor (cc -E) has expanded
the macros, with adjacent literals joined.  An argument that is not a
literal is followed: both sides of a ?:, a file's static string or array of
strings, a function's parameter (the literal every caller in the file
passes), a local built with xasprintf (reported "dynamic"; its %s filled in
from the arguments when they resolve: a struct array's fields row by row).

Each statement is then prepared, not run:
  sqlite      EXPLAIN on a copy of the schema `kith init` made (--sqlite DB),
              posts_fts made with tokenize='unicode61' in place of 'kith'
              (only Kith's own connection knows that tokenizer);
  PostgreSQL  PREPARE on the database at --dsn, ? and ?N rewritten $N
              (statements PREPARE does not take: BEGIN ... ROLLBACK).
What is inherently one database's (FTS5 MATCH, PRAGMA, planner hints) is
listed in scripts/sql-check.allow: FILE, the statement's fingerprint (see
--list) and why; those fail on PostgreSQL without counting.

Usage:
  sql-check.py [--srcdir D] [--builddir B] [--sqlite DB] [--dsn DSN]
               [--allow FILE] [--list]
  sql-check.py --print-schema     the PostgreSQL schema (src/db_pg_schema.c)
Exit 0 when every statement prepares on sqlite, every statement not
allowlisted prepares on PostgreSQL, and no argument was left unresolved.
"""

import argparse
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

CALLS = {		# function -> index of its SQL argument
    "db_prepare": 1, "db_cached": 1, "db_exec": 1, "db_int": 3,
    "db_ids_select": 2, "db_script": 1, "db_exec_id": 2,
}
STORAGE = re.compile(r"^(db\.c|db_sqlite.*\.c|fts\.c|db_pg.*\.c)$")

TOKEN = re.compile(r'''
    (?P<marker>^\#[ ]*(?:line[ ]+)?\d+[ ]+"[^"]*".*$) |
    (?P<pp>^\#.*$) |
    (?P<str>(?:u8|[LuU])?"(?:\\.|[^"\\\n])*") |
    (?P<chr>'(?:\\.|[^'\\\n])*') |
    (?P<id>[A-Za-z_]\w*) |
    (?P<num>\.?\d(?:[eEpP][+-]|[\w.])*) |
    (?P<nl>\n) |
    (?P<ws>[ \t\r\f\v]+) |
    (?P<punct>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^!~<>=]=?|[][(){};,.?:#])
''', re.X | re.M)


class Tok:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line

    def __repr__(self):
        return "%s:%r" % (self.kind, self.text)


def c_unescape(lit):
    """The bytes of one C string literal, as text."""
    body = lit[lit.index('"') + 1:-1]
    out, i = bytearray(), 0
    simple = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, '"': 34, "'": 39,
              "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = body[i + 1]
        if n == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            out.append(int(m.group(0), 16) & 255)
            i += 2 + len(m.group(0))
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(int(m.group(0), 8) & 255)
            i += 1 + len(m.group(0))
        else:
            out.append(simple.get(n, ord(n)))
            i += 2
    return out.decode("utf-8", "replace")


def tokenize(text, main):
    """Tokens of the preprocessed text that come from the file main."""
    toks, line, cur = [], 1, None
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "marker":
            mm = re.match(r'#\s*(?:line\s+)?(\d+)\s+"([^"]*)"', m.group(0))
            line, cur = int(mm.group(1)) - 1, mm.group(2)
            continue
        if kind == "nl":
            line += 1
            continue
        if kind in ("ws", "pp"):
            continue
        if cur is not None and os.path.basename(cur) != main:
            continue
        toks.append(Tok(kind, m.group(0), line))
    return toks


def match_close(toks, i):
    """Index of the bracket closing toks[i]."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    depth = 0
    for j in range(i, len(toks)):
        t = toks[j].text
        if t in pairs:
            depth += 1
        elif t in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def split_top(toks, sep=","):
    """toks split at sep outside brackets."""
    parts, cur, depth = [], [], 0
    for t in toks:
        if t.text in "([{" and t.kind == "punct":
            depth += 1
        elif t.text in ")]}" and t.kind == "punct":
            depth -= 1
        if depth == 0 and t.text == sep and t.kind == "punct":
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    return parts


class Unresolved(Exception):
    pass


class Source:
    """One preprocessed C file: its functions, file-level initializers."""

    def __init__(self, name, toks):
        self.name, self.toks = name, toks
        self.funcs = []		# (name, params, body_start, body_end)
        self.inits = {}		# name -> initializer tokens
        self.structs = {}	# struct name -> [field names]
        self.var_struct = {}	# array name -> struct name
        self._scan()

    def _scan(self):
        toks, i, depth = self.toks, 0, 0
        stmt_start = 0
        while i < len(toks):
            t = toks[i]
            if depth == 0 and t.text == "{" and t.kind == "punct":
                prev = toks[i - 1] if i else None
                end = match_close(toks, i)
                if prev is not None and prev.text == ")":
                    # a function definition: NAME ( params ) {
                    j = i - 1
                    d = 0
                    while j >= 0:
                        if toks[j].text == ")":
                            d += 1
                        elif toks[j].text == "(":
                            d -= 1
                            if d == 0:
                                break
                        j -= 1
                    fname = toks[j - 1].text
                    params = []
                    for p in split_top(toks[j + 1:i - 1]):
                        ids = [x.text for x in p if x.kind == "id"]
                        params.append(ids[-1] if ids else None)
                    self.funcs.append((fname, params, i, end))
                    i = end + 1
                    stmt_start = i
                    continue
                if prev is not None and prev.kind == "id" and \
                        toks[i - 2].text == "struct":
                    fields = []
                    for decl in split_top(toks[i + 1:end], ";"):
                        ids = [x.text for x in decl if x.kind == "id"]
                        if ids:
                            fields.append(ids[-1])
                    self.structs[prev.text] = fields
                    i = end + 1
                    continue
                i = end + 1
                continue
            if depth == 0 and t.text == ";":
                self._declaration(toks[stmt_start:i])
                stmt_start = i + 1
            i += 1

    def _declaration(self, decl):
        eq = [k for k, t in enumerate(decl) if t.text == "="]
        if not eq:
            return
        k = eq[0]
        lhs = decl[:k]
        ids = [t.text for t in lhs if t.kind == "id"]
        if not ids:
            return
        name = ids[-1]
        self.inits[name] = decl[k + 1:]
        if "struct" in ids:
            self.var_struct[name] = ids[ids.index("struct") + 1]

    def func_at(self, idx):
        for f in self.funcs:
            if f[2] <= idx <= f[3]:
                return f
        return None

    def calls(self, fname, lo=0, hi=None):
        """(index of name, [arg token lists]) of each call of fname."""
        hi = len(self.toks) if hi is None else hi
        out = []
        for i in range(lo, hi - 1):
            t = self.toks[i]
            if t.kind == "id" and t.text == fname and \
                    self.toks[i + 1].text == "(":
                end = match_close(self.toks, i + 1)
                out.append((i, split_top(self.toks[i + 2:end])))
        return out


def strip_parens(toks):
    while len(toks) >= 2 and toks[0].text == "(" and \
            toks[-1].text == ")":
        if match_close(toks, 0) != len(toks) - 1:
            break
        toks = toks[1:-1]
    return toks


def split_ternary(toks):
    depth, q = 0, None
    for k, t in enumerate(toks):
        if t.kind != "punct":
            continue
        if t.text in "([{":
            depth += 1
        elif t.text in ")]}":
            depth -= 1
        elif depth == 0 and t.text == "?" and q is None:
            q = k
        elif depth == 0 and t.text == ":" and q is not None:
            # the ':' that matches the first '?' (nested ?: on the right)
            inner = sum(1 for x in toks[q + 1:k] if x.text == "?")
            inner -= sum(1 for x in toks[q + 1:k] if x.text == ":")
            if inner == 0:
                return toks[q + 1:k], toks[k + 1:]
    return None


class Resolver:
    def __init__(self, src):
        self.src = src

    def resolve(self, toks, idx, depth=0):
        """Candidate texts of the expression toks (at token index idx):
        a list of (text, dynamic)."""
        if depth > 6:
            raise Unresolved("too deep")
        toks = strip_parens(toks)
        if not toks:
            raise Unresolved("empty")
        tern = split_ternary(toks)
        if tern:
            return self.resolve(tern[0], idx, depth + 1) + \
                self.resolve(tern[1], idx, depth + 1)
        if all(t.kind == "str" for t in toks):
            return [("".join(c_unescape(t.text) for t in toks), False)]
        if len(toks) == 1 and toks[0].kind == "id":
            if toks[0].text == "NULL":
                return []
            return self.variable(toks[0].text, idx, depth)
        if [t.text for t in toks] == ["(", "void", "*", ")", "0"]:
            return []	# NULL
        if len(toks) == 3 and toks[1].text in ("->", "."):
            # a field: its value in every row of the file's struct arrays
            rows = self.struct_rows([toks[2].text])
            if rows is not None:
                return [(r[0], False) for r in rows if r[0] is not None]
        if len(toks) >= 4 and toks[0].kind == "id" and toks[1].text == "[":
            init = self.src.inits.get(toks[0].text)
            if init and init[0].text == "{":
                out = []
                for e in split_top(init[1:match_close(init, 0)]):
                    if e:
                        out += self.resolve(e, idx, depth + 1)
                return out
        raise Unresolved(" ".join(t.text for t in toks))

    def variable(self, name, idx, depth):
        f = self.src.func_at(idx)
        if f:
            fname, params, lo, hi = f
            # a local assigned in this function before idx
            for k in range(idx - 1, lo, -1):
                t = self.src.toks[k]
                if t.kind == "id" and t.text == name and \
                        self.src.toks[k + 1].text == "=" and \
                        self.src.toks[k + 1].kind == "punct":
                    rhs = []
                    d = 0
                    for x in self.src.toks[k + 2:hi]:
                        if x.text in "([{":
                            d += 1
                        elif x.text in ")]}":
                            d -= 1
                        if d <= 0 and x.text in (";", ","):
                            break
                        rhs.append(x)
                    return self.assigned(rhs, k, depth)
            if name in params:
                pos = params.index(name)
                out = []
                for ci, args in self.src.calls(fname):
                    if ci == lo - 1 or self.src.func_at(ci) is None:
                        continue
                    if pos < len(args):
                        out += self.resolve(args[pos], ci, depth + 1)
                if out:
                    return out
                raise Unresolved("parameter %s of %s, no caller in the file"
                                 % (name, fname))
        init = self.src.inits.get(name)
        if init:
            return self.resolve(init, idx, depth + 1)
        raise Unresolved(name)

    def assigned(self, rhs, k, depth):
        if rhs and rhs[0].text == "xasprintf" and rhs[1].text == "(":
            args = split_top(rhs[2:match_close(rhs, 1)])
            return self.format(args, k, depth)
        return self.resolve(rhs, k, depth + 1)

    def format(self, args, k, depth):
        """xasprintf(fmt, ...) with each %s filled in (dynamic)."""
        fmts = self.resolve(args[0], k, depth + 1)
        rest = [strip_parens(a) for a in args[1:]]
        # fields of one struct pointer: row by row of the struct array
        ptrs = {tuple(t.text for t in a[:1]) for a in rest
                if len(a) == 3 and a[1].text == "->"}
        rows = None
        if rest and len(ptrs) == 1 and all(len(a) == 3 and a[1].text == "->"
                                           for a in rest):
            rows = self.struct_rows([a[2].text for a in rest])
        if rows is None:
            vals = [[v for v, _ in self.resolve(a, k, depth + 1)]
                    for a in rest]
            rows = [[]]
            for cand in vals:
                rows = [r + [c] for r in rows for c in cand]
        out = []
        for fmt, _ in fmts:
            for r in rows:
                if any(v is None for v in r):
                    continue
                try:
                    out.append((fmt.replace("%%", "\0") % tuple(r)
                                if r else fmt).replace("\0", "%"))
                except (TypeError, ValueError):
                    raise Unresolved("format " + fmt)
        return [(o, True) for o in out]

    def struct_rows(self, fields):
        """Rows of fields from the file's arrays of structs that have them."""
        for var, sname in self.src.var_struct.items():
            names = self.src.structs.get(sname)
            if names is None:
                continue	# defined in a header: fields from the header
            if not all(f in names for f in fields):
                continue
            return self._rows(var, names, fields)
        for var, sname in self.src.var_struct.items():
            names = HEADER_STRUCTS.get(sname)
            if names and all(f in names for f in fields):
                return self._rows(var, names, fields)
        return None

    def _rows(self, var, names, fields):
        init = self.src.inits[var]
        rows = []
        for e in split_top(init[1:match_close(init, 0)]):
            e = strip_parens(e)
            if not e or e[0].text != "{":
                continue
            vals = split_top(e[1:match_close(e, 0)])
            row = []
            for f in fields:
                pos = names.index(f)
                if pos >= len(vals) or not vals[pos]:
                    row.append(None)
                    continue
                r = self.resolve(vals[pos], 0)
                row.append(r[0][0] if r else None)
            rows.append(row)
        return rows


HEADER_STRUCTS = {}


def header_structs(srcdir):
    """struct NAME { ... } fields of the project's headers."""
    for d in ("include/kith", "src"):
        p = os.path.join(srcdir, d)
        for f in sorted(os.listdir(p)):
            if not f.endswith(".h"):
                continue
            text = open(os.path.join(p, f), encoding="utf-8").read()
            text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
            for m in re.finditer(r"struct\s+(\w+)\s*\{([^{}]*)\}", text):
                fields = []
                for decl in m.group(2).split(";"):
                    ids = re.findall(r"[A-Za-z_]\w*", decl)
                    if ids:
                        fields.append(ids[-1])
                HEADER_STRUCTS.setdefault(m.group(1), fields)


def split_statements(sql):
    """sql cut at each ';' outside quotes; empty pieces dropped."""
    out, cur, q = [], [], None
    for c in sql:
        if q:
            cur.append(c)
            if c == q:
                q = None
            continue
        if c in "'\"":
            q = c
        if c == ";":
            out.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


def normal(sql):
    return re.sub(r"\s+", " ", sql).strip()


def fingerprint(sql):
    return hashlib.sha1(normal(sql).encode()).hexdigest()[:12]


class Stmt:
    def __init__(self, path, line, call, sql, dynamic):
        self.path, self.line, self.call = path, line, call
        self.sql, self.dynamic = sql, dynamic
        self.fp = fingerprint(sql)


def extract(srcdir, builddir, cpp):
    stmts, unresolved, files = [], [], 0
    header_structs(srcdir)
    for f in sorted(os.listdir(os.path.join(srcdir, "src"))):
        if not f.endswith(".c") or STORAGE.match(f):
            continue
        src = Source(f, preprocess(srcdir, builddir, cpp, f))
        res = Resolver(src)
        seen = set()
        found = False
        for fname, pos in CALLS.items():
            for ci, args in src.calls(fname):
                if src.func_at(ci) is None or pos >= len(args):
                    continue	# a prototype
                found = True
                line = src.toks[ci].line
                try:
                    cands = res.resolve(args[pos], ci)
                except Unresolved as e:
                    unresolved.append(("src/%s:%d" % (f, line), fname,
                                       str(e)))
                    continue
                for text, dyn in cands:
                    for s in split_statements(text):
                        key = (line, normal(s))
                        if key in seen:
                            continue
                        seen.add(key)
                        stmts.append(Stmt("src/" + f, line, fname, s, dyn))
        files += found
    return stmts, unresolved, files


def sqlite_db(schema_db):
    """An in-memory sqlite with schema_db's schema; posts_fts tokenized by
    unicode61 (Kith's "kith" tokenizer lives in its own connection)."""
    src = sqlite3.connect("file:%s?mode=ro" % schema_db, uri=True)
    rows = src.execute("SELECT type, name, sql FROM sqlite_master "
                       "WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
    src.close()
    db = sqlite3.connect(":memory:")
    # the backend's own function (db_sqlite.c; db_pg_schema.c on
    # PostgreSQL): a raw message that names an address
    db.create_function("kith_mentions", 2,
                       lambda hay, needle: None if hay is None or
                       needle is None else int(needle.encode() in bytes(
                           hay if isinstance(hay, bytes) else
                           hay.encode()).lower()),
                       deterministic=True)
    shadow = re.compile(r"^posts_fts_(data|idx|content|docsize|config)$")
    later = []
    for typ, name, sql in rows:
        if shadow.match(name) or name.startswith("sqlite_"):
            continue
        sql = sql.replace("tokenize='kith'", "tokenize='unicode61'")
        if typ in ("trigger", "index"):
            later.append(sql)
        else:
            db.execute(sql)
    for sql in later:
        db.execute(sql)
    return db


def sqlite_check(db, sql):
    """None, or sqlite's error preparing sql."""
    n = 0
    for _ in range(3):
        try:
            db.execute("EXPLAIN " + sql, (None,) * n).fetchall()
            return None
        except sqlite3.ProgrammingError as e:
            m = re.search(r"uses (\d+)", str(e))
            if not m:
                return str(e)
            n = int(m.group(1))
        except sqlite3.Error as e:
            return str(e)
    return "could not bind"


def pg_params(sql):
    """? and ?N as $N (sqlite's numbering), outside quotes."""
    out, q, n, i = [], None, 0, 0
    while i < len(sql):
        c = sql[i]
        if q:
            out.append(c)
            if c == q:
                q = None
            i += 1
            continue
        if c in "'\"":
            q = c
        if c == "?":
            m = re.match(r"\d+", sql[i + 1:])
            if m:
                k = int(m.group(0))
                i += 1 + len(m.group(0))
            else:
                k = n + 1
                i += 1
            n = max(n, k)
            out.append("$%d" % k)
            continue
        out.append(c)
        i += 1
    return "".join(out)


PREPARABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|VALUES)\b",
                        re.I)


def pg_check(cur, sql):
    """None, or PostgreSQL's error preparing sql."""
    import psycopg2
    text = pg_params(sql)
    try:
        if PREPARABLE.match(text):
            cur.execute("PREPARE kith_check AS " + text)
            cur.execute("SELECT parameter_types::text, cardinality("
                        "parameter_types) FROM pg_prepared_statements WHERE "
                        "name='kith_check'")
            types, nparams = cur.fetchone()
            results = ""
            if re.match(r"(?i)\s*(SELECT|WITH)\b", text):
                # the columns' types, from one run on the empty schema
                cur.execute("BEGIN")
                try:
                    cur.execute("EXECUTE kith_check%s" % (
                        "(%s)" % ", ".join(["NULL"] * nparams)
                        if nparams else ""))
                    results = ",".join("boolean" if d.type_code == 16
                                       else str(d.type_code)
                                       for d in cur.description or [])
                except psycopg2.Error:
                    pass	# not a preparing error: the types are unknown
                cur.execute("ROLLBACK")
            cur.execute("DEALLOCATE kith_check")
            if "boolean" in types:
                # Kith binds integers, text, blobs, NULL: never a boolean
                return "a parameter taken for a boolean: %s (compare it: " \
                    "?<>0)" % types
            if results and "boolean" in results:
                # sqlite answers 0/1 where PostgreSQL answers t/f
                return "a boolean selected: %s (CASE WHEN ... THEN 1 " \
                    "ELSE 0 END)" % results
        else:
            cur.execute("BEGIN")
            m = re.match(r"(?i)(?:ROLLBACK\s+TO|RELEASE)\s+(?:SAVEPOINT\s+)?"
                         r"(\w+)\s*$", text)
            if m:	# the savepoint of the statement that made it
                cur.execute("SAVEPOINT " + m.group(1))
            cur.execute(text)
            cur.execute("ROLLBACK")
        return None
    except psycopg2.Error as e:
        cur.execute("ROLLBACK")
        msg = (e.pgerror or str(e)).strip().splitlines()
        return msg[0] if msg else str(e)


def compare_schema(sq, cur):
    """Differences between the sqlite schema (sq, sqlite_db's) and the
    PostgreSQL one: tables, columns (name, NOT NULL, primary key), named
    indexes.  posts_fts and its queue are sqlite's search (no twin)."""
    skip = re.compile(r"^(posts_fts.*|sqlite_.*)$")
    diffs = []
    sqt = {r[0] for r in sq.execute("SELECT name FROM sqlite_master WHERE "
                                    "type='table'") if not skip.match(r[0])}
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname="
                "current_schema()")
    pgt = {r[0] for r in cur.fetchall()}
    for t in sorted(sqt ^ pgt):
        diffs.append("table %s only on %s" % (
            t, "sqlite" if t in sqt else "postgresql"))
    for t in sorted(sqt & pgt):
        a = {(r[1], bool(r[3] or r[5])) for r in
             sq.execute("PRAGMA table_info(%s)" % t)}
        cur.execute("SELECT column_name, is_nullable='NO' OR column_name IN "
                    "(SELECT a.attname FROM pg_index i JOIN pg_attribute a ON "
                    "a.attrelid=i.indrelid AND a.attnum=ANY(i.indkey) WHERE "
                    "i.indrelid=%s::regclass AND i.indisprimary) FROM "
                    "information_schema.columns WHERE table_name=%s AND "
                    "table_schema=current_schema()", (t, t))
        # posts.search is PostgreSQL's word index of a post, kept as a
        # generated column (db_pg_schema.c); sqlite's is posts_fts
        b = {(r[0], r[1]) for r in cur.fetchall()
             if (t, r[0]) != ("posts", "search")}
        for c in sorted(a ^ b):
            diffs.append("%s.%s (not null %s) only on %s" % (
                t, c[0], c[1], "sqlite" if c in a else "postgresql"))
    sqi = {r[0] for r in sq.execute("SELECT name FROM sqlite_master WHERE "
                                    "type='index' AND sql IS NOT NULL")
           if not skip.match(r[0])}
    cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname="
                "current_schema() AND indexname NOT LIKE '%_pkey' AND "
                "indexname NOT LIKE '%_key' AND indexname NOT IN "
                "('posts_search', 'posts_trgm')")
    pgi = {r[0] for r in cur.fetchall()}
    for i in sorted(sqi ^ pgi):
        diffs.append("index %s only on %s" % (
            i, "sqlite" if i in sqi else "postgresql"))
    return diffs


def read_allow(path):
    allow = {}
    if not path or not os.path.exists(path):
        return allow
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2].strip():
            sys.exit("sql-check: %s:%d: want FILE<tab>FINGERPRINT<tab>"
                     "REASON" % (path, n))
        allow[(parts[0], parts[1])] = parts[2]
    return allow


def preprocess(srcdir, builddir, cpp, f):
    """The tokens of src/f after the C preprocessor, as the compiler sees
    them: macros expanded, comments gone."""
    path = os.path.join(srcdir, "src", f)
    cmd = cpp + ["-DHAVE_CONFIG_H", "-I" + builddir,
                 "-I" + os.path.join(srcdir, "include"),
                 "-I" + os.path.join(srcdir, "src"), path]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("sql-check: %s: %s" % (" ".join(cmd),
                                        r.stderr.strip()[:500]))
    return tokenize(r.stdout, f)


def print_schema(srcdir, builddir, cpp):
    """The PostgreSQL migrations of src/db_pg_schema.c, one after another.
    Preprocessed, because a migration may repeat an earlier one's text
    through a macro (the member_log trigger's body)."""
    toks = preprocess(srcdir, builddir, cpp, "db_pg_schema.c")
    i = next(k for k, t in enumerate(toks) if t.text == "db_pg_migrations")
    while toks[i].text != "{":
        i += 1
    for e in split_top(toks[i + 1:match_close(toks, i)]):
        if e:
            sql = "".join(c_unescape(t.text) for t in e if t.kind == "str")
            print(sql.rstrip().rstrip(";") + ";")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--srcdir", default=os.path.dirname(here))
    ap.add_argument("--builddir", default=None,
                    help="where config.h is (default: srcdir)")
    ap.add_argument("--cpp", default=os.environ.get("CC", "cc") + " -E")
    ap.add_argument("--sqlite", help="a database kith init made")
    ap.add_argument("--dsn", help="libpq DSN of a database with the "
                    "PostgreSQL schema loaded")
    ap.add_argument("--allow", default=os.path.join(here, "sql-check.allow"))
    ap.add_argument("--list", action="store_true",
                    help="print every statement with its fingerprint")
    ap.add_argument("--print-schema", action="store_true")
    a = ap.parse_args()
    if a.print_schema:
        print_schema(a.srcdir, a.builddir or a.srcdir, a.cpp.split())
        return 0
    stmts, unresolved, nfiles = extract(a.srcdir, a.builddir or a.srcdir,
                                        a.cpp.split())
    allow = read_allow(a.allow)
    used = set()
    ndyn = sum(1 for s in stmts if s.dynamic)
    for where, fn, why in unresolved:
        print("UNRESOLVED %s: %s argument: %s" % (where, fn, why))
    if a.list:
        for s in stmts:
            print("%s:%d\t%s\t%s%s" % (s.path, s.line, s.fp,
                                       "dynamic " if s.dynamic else "",
                                       normal(s.sql)))
    sq_fail = pg_fail = pg_allowed = 0
    diffs = []
    if a.sqlite:
        db = sqlite_db(a.sqlite)
        for s in stmts:
            err = sqlite_check(db, s.sql)
            if err:
                sq_fail += 1
                print("FAIL sqlite %s:%d (%s)%s\n  %s\n  error: %s" % (
                    s.path, s.line, s.fp, " dynamic" if s.dynamic else "",
                    normal(s.sql), err))
    if a.dsn:
        import psycopg2
        conn = psycopg2.connect(a.dsn)
        conn.autocommit = True
        cur = conn.cursor()
        for s in stmts:
            err = pg_check(cur, s.sql)
            why = allow.get((s.path, s.fp))
            if why is not None:
                used.add((s.path, s.fp))
            if err and why is not None:
                pg_allowed += 1
                continue
            if err:
                pg_fail += 1
                print("FAIL postgresql %s:%d (%s)%s\n  %s\n  error: %s" % (
                    s.path, s.line, s.fp, " dynamic" if s.dynamic else "",
                    normal(s.sql), err))
        if a.sqlite:
            diffs = compare_schema(db, cur)
            for d in diffs:
                print("SCHEMA %s" % d)
        conn.close()
        for key in sorted(set(allow) - used):
            print("STALE allowlist entry %s %s: no such statement fails "
                  "on postgresql" % key)
    total = "sql-check: %d statements (%d dynamic) in %d files, %d " \
        "unresolved" % (len(stmts), ndyn, nfiles, len(unresolved))
    if a.sqlite:
        total += "; sqlite: %d failed" % sq_fail
    if a.dsn and a.sqlite:
        total += "; %d schema differences" % len(diffs)
    if a.dsn:
        total += "; postgresql: %d failed, %d allowlisted, %d stale " \
            "allowlist entries" % (pg_fail, pg_allowed,
                                   len(set(allow) - used))
    print(total)
    bad = unresolved or sq_fail or pg_fail or diffs or (a.dsn and set(allow) - used)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
