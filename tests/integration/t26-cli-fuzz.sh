#!/bin/sh
# Every subcommand (walked from 'kith --help' and each 'kith CMD --help')
# run with missing, empty and garbage values in each of its positionals and
# options: numbers out of range, paths, very long strings, invalid UTF-8,
# escape sequences, printf directives.  No run may end by a signal (or an
# ASan/UBSan report); a refusal is one line on stderr with a sysexits code
# (and a readable one: a 70000-byte value is not echoed whole).
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"

write_conf "maildir:$T/var/mail"
kith init >/dev/null
kith list create team@example.org --owner alice@example.org --name Team >/dev/null
kith member add team bob@example.org --name Bob >/dev/null
kith member set team bob@example.org mode=digest-daily >/dev/null
printf 'From: alice@example.org\nSubject: first\nMessage-ID: <p1@x>\n\nhello\n' > "$T/p1"
kith receive -r team@example.org -f alice@example.org < "$T/p1"
printf 'From: stranger@example.net\nSubject: held\nMessage-ID: <p2@x>\n\nhi\n' > "$T/p2"
kith receive -r team@example.org -f stranger@example.net < "$T/p2"
printf 'x\000y' | kith receive -r team@example.org -f bob@example.org
kith digest send team --force >/dev/null
printf 'Hello\n' > "$T/news.txt"
kith newsletter create team --subject News --text "$T/news.txt" >/dev/null
kith event create team --title Meetup --start "2026-07-01 18:00" --duration 2h >/dev/null
kith poll create team --question Q --option A --option B >/dev/null
kith onboarding add team --after 3d --template intro-nudge >/dev/null
assert_ok '[ "$(db "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM held), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM events), (SELECT count(*) FROM polls)")" = "1|1|1|1|1" ]' "fixtures: a post, a held post, a quarantined message, an event, a poll"

# Relative paths in the garbage stay inside the test directory.
mkdir -p "$T/w/x/y/z"
export KITH_BIN FAKETIME_LIB NOW
( cd "$T/w/x/y/z" && $PY - "$HERE" "$T" ) > "$T/fuzz.out" 2>&1 <<'PYEOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import cli_walk

T = sys.argv[2]
open(T + "/a.eml", "w").write("From: a@b.example\nSubject: x\n\nhi\n")
ids = {"archive": "1", "mod": "1", "newsletter": "1", "event": "1",
       "poll": "1", "quarantine": "1"}
values = {"LIST": "team", "ADDRESS": "bob@example.org", "ADDR":
          "alice@example.org", "FILE": T + "/a.eml", "FILE...": T + "/a.eml",
          "WORDS...": "first", "ISSUE": "1", "STEP": "1", "TAG": "t1",
          "KEY": "timezone", "VALUE": "UTC", "DOMAIN": "example.org",
          "YYYY-MM-DD HH:MM": "2026-07-02 10:00", "YYYY-MM-DD": "2026-07-01",
          "S": "Sub", "Q": "Why?", "A": "yes", "B": "no", "T": "Title",
          "NAME": "intro-nudge", "3d": "3d", "RECIPIENT": "team@example.org",
          "SENDER": "bob@example.org", "ZONE": "Europe/Prague", "N": "2",
          "L": "Brno", "RULE": "FREQ=WEEKLY;COUNT=3", "24h,1h": "24h,1h",
          "DATE": "2026-06-30", "TEXT": "why", "90d": "90d",
          "report.html": "report.html", "2h": "2h", "...": "C",
          "posted|rsvped": "posted"}
opt_values = {"--start": "2026-07-02 10:00", "--end": "2026-07-02 12:00"}

def arg(sub, placeholder):
    p = placeholder.split("|")[0]
    if p == "ID":
        return ids[sub.cmd]
    return values.get(p, p)

GARBAGE = [b"", b"../../etc/passwd", b"-1", b"0", b"99999999999999999999",
           b"abc", b"x" * 70000, b"\xff\xfe\xc0\xaf", b"\x1b[2J\x07",
           b"%s%n%x%p", b" "]

# a pass that repeats a full one (lib.sh) tries one garbage value in
# FUZZ_EVERY, a different one for each subcommand and option
EVERY = int(os.environ.get("FUZZ_EVERY", "1"))
turn = 0

def garbage():
    global turn
    turn += 1
    return [g for j, g in enumerate(GARBAGE) if (j + turn) % EVERY == 0]

def show(b):
    return repr(b[:40] + (b"..." if len(b) > 40 else b""))

subs = cli_walk.all_subcommands()
create = [s for s in subs if s.name() == "event create"][0]
for s in subs:
    if "the options of create" in s.text or "same options" in s.text:
        s.options = {k: v for k, v in create.options.items() if k != "--json"}

def check(args, what, problems):
    rc, out, err = cli_walk.run(args, timeout=120)
    lines = err.splitlines()
    bad = None
    if rc < 0 or rc >= 128:
        bad = "ended by signal %d" % (-rc if rc < 0 else rc - 128)
    elif b"Sanitizer" in err or b"runtime error:" in err:
        bad = "sanitizer report"
    elif rc != 0 and not (64 <= rc <= 78):
        bad = "exit %d is not a sysexits code" % rc
    elif rc != 0 and len(lines) != 1:
        bad = "refused with %d lines on stderr" % len(lines)
    elif rc != 0 and len(err) > 1500:
        bad = "a refusal of %d bytes: the value is echoed whole" % len(err)
    if bad:
        problems.append("%s: %s (stderr %r)" % (what, bad, err[:300]))
    return rc

runs = total_fail = 0
for s in subs:
    base_pos = [arg(s, p).encode() for p in s.positionals]
    base_req = []
    for opt, ph in s.required:
        base_req.append([opt.encode()] + ([opt_values.get(opt,
                        arg(s, ph)).encode()] if ph else []))
    head = [c.encode() for c in [s.cmd] + ([s.sub] if s.sub else [])]
    problems = []
    n = 0
    # every positional in turn, and none at all
    for i in range(len(base_pos)):
        for g in garbage():
            pos = list(base_pos)
            pos[i] = g
            args = head + pos + [w for r in base_req for w in r]
            check(args, "%s with positional %d = %s" % (s, i + 1, show(g)),
                  problems)
            n += 1
    if base_pos:
        rc = check(head, "%s with no arguments" % s, problems)
        if rc != 64:
            problems.append("%s with no arguments: exit %d, not 64" % (s, rc))
        n += 1
    # every option that takes a value: missing, and each garbage value
    for opt, ph in s.options.items():
        o = opt.encode()
        req = [r for r in base_req if r[0] != o]
        rest = base_pos + [w for r in req for w in r]
        if ph is None:
            rc = check(head + rest + [o + b"=1"], "%s %s=1" % (s, opt),
                       problems)
            if rc != 64:
                problems.append("%s %s=1: exit %d, not 64" % (s, opt, rc))
            n += 1
            continue
        rc = check(head + rest + [o], "%s %s (no value)" % (s, opt), problems)
        if rc != 64:
            problems.append("%s %s without a value: exit %d, not 64" %
                            (s, opt, rc))
        n += 1
        for g in garbage():
            check(head + rest + [o, g], "%s %s %s" % (s, opt, show(g)),
                  problems)
            n += 1
    rc = check(head + base_pos + [b"--no-such-option"], "%s --no-such-option"
               % s, problems)
    if rc != 64:
        problems.append("%s --no-such-option: exit %d, not 64" % (s, rc))
    n += 1
    runs += n
    print("%s - %s: %d runs, no signal, every refusal one line with a "
          "sysexits code" % ("not ok" if problems else "ok", s, n))
    for p in problems[:8]:
        print("#   " + p)
    total_fail += bool(problems)

# Every list setting with every garbage value; what is accepted must not
# break what reads it later (show, digest, cron, receive).
import re
rc, out, _ = cli_walk.run(["list", "--help"])
keys = re.findall(r"^  ([a-z_]+) .*default '([^']*)'\)$", out.decode(),
                  re.M)
problems = []
post = b"From: alice@example.org\nSubject: s\nMessage-ID: <%d@f>\n\nhi\n"
k = 0
for key, default in keys:
    for g in garbage():
        rc = check([b"list", b"set", b"team", key.encode(), g],
                   "list set team %s %s" % (key, show(g)), problems)
        runs += 1
        if rc != 0:
            continue
        k += 1
        for args in ([b"list", b"show", b"team"],
                     [b"digest", b"preview", b"team"], [b"cron"]):
            check(args, "%s after %s=%s" % (b" ".join(args).decode(), key,
                  show(g)), problems)
        rc2, _, err = cli_walk.run([b"receive", b"-r", b"team@example.org",
                                    b"-f", b"alice@example.org"],
                                   stdin=post % k)
        if rc2 < 0 or rc2 >= 128 or b"Sanitizer" in err:
            problems.append("receive after %s=%s: exit %d" % (key, show(g),
                            rc2))
        runs += 4
    check([b"list", b"set", b"team", key.encode(), default.encode()],
          "list set team %s back to '%s'" % (key, default), problems)
print("%s - kith list set: %d settings with garbage (%d accepted), then "
      "show, digest, cron and receive" % ("not ok" if problems else "ok",
      len(keys), k))
for p in problems[:8]:
    print("#   " + p)

# The global option and the commands themselves.
problems = []
for g in garbage():
    check([b"--config", g, b"list", b"ls"], "--config %s" % show(g), problems)
    check([g], "command %s" % show(g), problems)
    runs += 2
check([b"--config"], "--config without a file", problems)
print("%s - kith --config GARBAGE and kith GARBAGE: one line, a sysexits code"
      % ("not ok" if problems else "ok"))
for p in problems[:8]:
    print("#   " + p)
print("# %d subcommands, %d runs" % (len(subs), runs))
PYEOF
grep '^#' "$T/fuzz.out" | tail -n 1
PASSED=$((PASSED + $(grep -c '^ok' "$T/fuzz.out")))
FAILED=$((FAILED + $(grep -c '^not ok' "$T/fuzz.out")))
grep -v '^# [0-9]* subcommands' "$T/fuzz.out"
assert_ok '[ "$(grep -c "^ok - kith " "$T/fuzz.out")" -ge 70 ] || [ "$(grep -c " - kith " "$T/fuzz.out")" -ge 70 ]' "the walk covered every subcommand ($(grep -c ' - kith ' "$T/fuzz.out"))"
assert_ok '[ -z "$(find "$T/w" -name passwd)" ]' "no file was written where a garbage path pointed"
finish
