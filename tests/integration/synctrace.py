"""synctrace - what `strace -f -y` saw of kith serve's commits and answers.

check_trace(path, answer, what) prints ok / not ok lines: every answer
(a write, send or sendmsg whose text holds `answer`) made after a write of
the WAL went out only after an fdatasync of the WAL that ended, and that
fdatasync is another thread's than the write's (walsync's syncer; the
writer goes on meanwhile).  Answers before the first WAL write in the
trace tell nothing and are not counted.
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
    writer = syncer = None
    answers = good = 0
    for tid, name, call in _calls(path):
        if name == "pwrite64" and "-wal>" in call:
            writer, synced = tid, False
        elif name == "fdatasync" and "-wal>" in call and call.rstrip().endswith("= 0"):
            if synced is False:
                synced = syncer = tid
        elif name in ("write", "sendto", "sendmsg", "writev") and answer in call:
            if synced is None:
                continue
            answers += 1
            good += synced is not False
    ok = answers >= least and good == answers
    print(("ok - " if ok else "not ok - ") + "%s: each went out after an fdatasync "
          "of the WAL that followed its commit (%d of %d)" % (what, good, answers))
    ok = writer is not None and syncer is not None and writer != syncer
    print(("ok - " if ok else "not ok - ") + "%s: the fdatasync is another thread's "
          "than the commit's (%s, %s)" % (what, writer, syncer))
