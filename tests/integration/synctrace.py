"""synctrace - what `strace -f -y` saw of kith serve's commits and answers.

check_trace(path, answer, what) prints ok / not ok lines: every answer
(a write, send or sendmsg whose text holds `answer`) made after a write of
the WAL went out only after an fdatasync of the WAL that ended, and the
fdatasyncs that follow the writes are another thread's than the writer's
(walsync's syncer; the writer goes on meanwhile).  Not counted: the
header of a WAL that starts over (32 bytes at offset 0), which SQLite
syncs at once on the writer's thread.  The writer may still make one
itself now and then: when the WAL is long it copies the WAL's last pages
into the database, and SQLite syncs the WAL first; so the check asks
that most of them are the syncer's, not all.  Answers before
the first WAL write in the trace tell nothing and are not counted.
"""
import re


def _calls(path):
    unfinished = {}
    for line in open(path, errors="replace"):
        m = re.match(r"(\d+) +(.*)", line)
        if not m:
            continue
        tid, call = m.groups()
        if "<unfinished ...>" in call:
            unfinished[tid] = call
            continue
        if re.match(r"<\.\.\. \w+ resumed>", call):
            call = unfinished.pop(tid, "") + call
        yield tid, call.split("(")[0], call


def check_trace(path, answer, what, least=3):
    synced = None       # None: no WAL write yet; False: written, not synced
    writer = None
    syncs = []          # the thread of the first fdatasync after each write
    answers = good = 0
    for tid, name, call in _calls(path):
        if name == "pwrite64" and "-wal>" in call:
            if re.search(r", 32, 0\) += 32$", call.rstrip()):
                continue    # a new WAL's header (and SQLite's own sync)
            writer, synced = tid, False
        elif name == "fdatasync" and "-wal>" in call and call.rstrip().endswith("= 0"):
            if synced is False:
                synced = tid
                syncs.append(tid)
        elif name in ("write", "sendto", "sendmsg", "writev") and answer in call:
            if synced is None:
                continue
            answers += 1
            good += synced is not False
    ok = answers >= least and good == answers
    print(("ok - " if ok else "not ok - ") + "%s: each went out after an fdatasync "
          "of the WAL that followed its commit (%d of %d)" % (what, good, answers))
    others = sum(1 for t in syncs if t != writer)
    ok = writer is not None and others * 2 > len(syncs)
    print(("ok - " if ok else "not ok - ") + "%s: the fdatasyncs are another "
          "thread's than the commits' writer's (%d of %d)" % (what, others, len(syncs)))


def check_db_syncs(path, names, writer, what):
    """Who syncs the pages copied into the database (kith.db, not its
    WAL): each pwrite64 counts for the thread whose fsync or fdatasync of
    the file comes next.  names maps a thread id to its name; the
    writer's (the committer's, whom every message waits for) must sync
    less than a third of them, the checkpointer the rest."""
    pending = 0
    synced = {}
    for tid, name, call in _calls(path):
        if not re.match(r"\w+\(\d+<[^>]*/kith\.db>", call):
            continue
        if name == "pwrite64":
            pending += 1
        elif name in ("fsync", "fdatasync"):
            who = names.get(tid, tid)
            synced[who] = synced.get(who, 0) + pending
            pending = 0
    total = sum(synced.values())
    mine = synced.get(writer, 0)
    ok = total >= 1000 and mine * 3 < total
    print(("ok - " if ok else "not ok - ") + "%s: the pages copied into the "
          "database are synced by the checkpointer, not the %s: %d of %d "
          "by it (%s)" % (what, writer, mine, total,
                          ", ".join("%s %d" % kv for kv in sorted(synced.items()))))
