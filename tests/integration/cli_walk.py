#!/usr/bin/python3
"""cli_walk.py - every subcommand of kith, found from its --help texts,
for the tests that walk them all (t25-cli-json, t26-cli-fuzz).

The commands come from 'kith --help'; each command's subcommands, their
positionals and options from the usage block of 'kith CMD --help'.  Kith
runs under the test clock (lib.sh exports KITH_BIN, FAKETIME_LIB, NOW).

  sub.cmd, sub.sub       "event", "create" ("" when the command has none)
  sub.positionals        ["LIST"] - placeholders in order
  sub.required           [("--title", "T"), ...] - options outside [...],
                         in order, repeated ones repeated
  sub.options            {"--tz": "ZONE", "--json": None, ...} - all, with
                         their placeholder (None for a flag)
"""
import os
import re
import subprocess


def run(args, stdin=b"", cwd=None, timeout=60):
    """kith ARGS at the test clock: (exit code, stdout, stderr) bytes."""
    env = dict(os.environ)
    lib = os.environ.get("FAKETIME_LIB")
    if lib:
        env["LD_PRELOAD"] = lib + (":" + env["LD_PRELOAD"]
                                   if env.get("LD_PRELOAD") else "")
        env["FAKETIME"] = "@" + os.environ["NOW"]
    p = subprocess.run([os.environ["KITH_BIN"]] + list(args), input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, cwd=cwd, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def commands():
    rc, out, _ = run(["--help"])
    assert rc == 0, "kith --help failed"
    names = []
    for line in out.decode().splitlines():
        m = re.match(r"^  ([a-z][a-z-]*) ", line)
        if m:
            names.append(m.group(1))
    return names


class Sub:
    def __init__(self, cmd, sub, text):
        self.cmd, self.sub, self.text = cmd, sub, text
        self.positionals, self.required, self.options = [], [], {}

    def name(self):
        return (self.cmd + " " + self.sub).strip()

    def __repr__(self):
        return "kith " + self.name()


TOKEN = re.compile(r'"[^"]*"|\[[^\]]*\]|\([^)]*\)|[^\s\[\]()"]+')


def _is_value(w):
    return w is not None and not w.startswith(("-", "[", "(", "<", ">"))


def _options(group, into):
    """--opt VALUE and --flag of a token string into a dict."""
    words = TOKEN.findall(group)
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        for alt in w.split("|"):
            if re.match(r"^--?[a-z]", alt):
                into[alt] = nxt.strip('"') if _is_value(nxt) and \
                    "|" not in w else None


def _parse(cmd, entry):
    words = TOKEN.findall(entry)
    assert words[:2] == ["kith", cmd], entry
    words = words[2:]
    sub = ""
    if words and re.match(r"^[a-z][a-z-]*$", words[0]):
        sub = words.pop(0)
    s = Sub(cmd, sub, entry)
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        i += 1
        if w in ("<", ">"):
            break	# a redirection: the rest is not arguments
        if w.startswith("["):
            _options(w[1:-1], s.options)
        elif w.startswith("("):
            inner = w[1:-1]
            if inner.startswith("--"):
                # a required choice: take the first one
                first = {}
                _options(inner.split("|")[0], first)
                s.required += list(first.items())
                _options(inner, s.options)
            # else it is a comment
        elif w.startswith("-"):
            value = nxt.strip('"') if _is_value(nxt) else None
            s.required.append((w, value))
            s.options[w] = value
            if value is not None:
                i += 1
        else:
            s.positionals.append(w.strip('"'))
            _options(w, s.options)	# LIST|--all
    return s


def subcommands(cmd):
    """The subcommands of cmd, from the usage block of its --help."""
    rc, out, _ = run([cmd, "--help"])
    assert rc == 0, "kith %s --help failed" % cmd
    entries = []
    for line in out.decode().splitlines():
        body = line[len("usage:"):] if line.startswith("usage:") else line
        if not body.strip():
            if entries:
                break
            continue
        if body.strip().startswith("kith %s" % cmd) and \
                (line.startswith("usage:") or line.startswith("       kith")):
            entries.append(body.strip())
        elif entries:
            entries[-1] += " " + body.strip()
    subs = [_parse(cmd, e) for e in entries]
    # "kith member set" appears once per key: keep the first of each
    seen, out_subs = set(), []
    for s in subs:
        if s.name() not in seen:
            seen.add(s.name())
            out_subs.append(s)
    return out_subs


def all_subcommands():
    return [s for c in commands() for s in subcommands(c)]


if __name__ == "__main__":
    for s in all_subcommands():
        print(s, s.positionals, s.required, s.options)
