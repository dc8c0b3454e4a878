#!/usr/bin/python3
"""Measure how Kith reads the labelled bounces of ../shared/corpus.

usage: bounce_accuracy.py KITH CORPUS_DIR [--misses]

Prints three measures (and, with --misses, every miss):
  bounce     bounce vs not a bounce, on rows whose label says which.
             A delivery report is a bounce to every source, a delay
             notice too (sisimai: reason "expired" and others, flufl and
             the ruby gem: "soft"); Kith reads a delay notice as one
             ("delay") and scores nobody for it, so "delay" counts as
             recognised here
  hardsoft   hard vs soft, on bounces with a hard-bounce flag; each
             source's flag means what its own tests mean: sisimai's
             "hardbounce" is "the address is bad" (reasons userunknown,
             hostunknown, hasmoved, notaccept: Kith's hard), flufl's and
             the ruby mail gem's are "failed for good, not delayed"
             (Kith's "failed")
  recipient  the labelled failed recipient is among those Kith found
  lineends   sisimai's CR-only and CRLF copies (maildir/mac, maildir/dos)
             read exactly like their LF originals (maildir/bsd)
Last line: "bounce=P hardsoft=P recipient=P" in percent.

Labels come from each source's own tests; where a source's label says
nothing about a measure (Mailman's "Stop" warnings, "expects no
address"), the row is left out of that measure.
"""
import csv
import glob
import os
import subprocess
import sys

NOT_BOUNCE = {"not-bounce", "delivered", "feedback", "vacation"}
UNSTATED = {"Stop", "none", "unknown", "classification"}


def readings(kith, paths):
    """kith bounce parse of each path: its verdict columns, by path."""
    out = subprocess.run([kith, "bounce", "parse"] + paths,
                         capture_output=True, text=True, check=True).stdout
    return {line.split("\t", 1)[0]: line.split("\t", 1)[1]
            for line in out.splitlines()}


def line_ends(kith, corpus):
    """(same, compared): CR and CRLF copies read like the LF original."""
    base = f"{corpus}/sisimai-set-of-emails/maildir"
    pairs = [(p, f"{base}/bsd/{os.path.basename(p)}")
             for d in ("mac", "dos") for p in sorted(glob.glob(f"{base}/{d}/*.eml"))]
    pairs = [(c, o) for c, o in pairs if os.path.exists(o)]
    if not pairs:
        return 0, 0
    got = readings(kith, [c for c, _ in pairs] + [o for _, o in pairs])
    same = sum(got[c] == got[o] for c, o in pairs)
    return same, len(pairs)


def main():
    kith, corpus = sys.argv[1], sys.argv[2]
    show = "--misses" in sys.argv
    rows = []
    with open(f"{corpus}/bounces-labels.tsv", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            rows.append(row)
    files = sorted({r["path"] for r in rows})
    out = subprocess.run([kith, "bounce", "parse"] +
                         [f"{corpus}/{p}" for p in files],
                         capture_output=True, text=True, check=True).stdout
    got = {}
    for line in out.splitlines():
        path, verdict, kind, reason, status, rcpts = line.split("\t")
        found = [x.rsplit("/", 2) for x in rcpts.split(",")] if rcpts else []
        got[path[len(corpus) + 1:]] = (verdict, kind, reason, status, found)
    score = {"bounce": [0, 0], "hardsoft": [0, 0], "recipient": [0, 0]}
    misses = []
    seen_bounce = set()
    for r in rows:
        path, cls = r["path"], r["classification"]
        verdict, kind, reason, status, found = got[path]
        rcpts = [a for a, _, _ in found]
        if cls not in UNSTATED and path not in seen_bounce:
            seen_bounce.add(path)
            want = "not" if cls in NOT_BOUNCE else "bounce"
            score["bounce"][1] += 1
            if verdict == want or (verdict == "delay" and want == "bounce"):
                score["bounce"][0] += 1
            else:
                misses.append(f"bounce    {path}: want {want} ({cls}), "
                              f"got {verdict} ({reason})")
        flag = r["hardbounce_flag"]
        if flag in ("true", "false") and cls not in NOT_BOUNCE:
            want = flag == "true"
            # the verdict for this row's recipient: by address, else by
            # its position in the report
            mine = [f for f in found if f[0] == r["failed_recipient"].lower()]
            idx = int(r["rcpt_index"] or 1) - 1
            if not mine and idx < len(found):
                mine = [found[idx]]
            if r["source"] == "sisimai":
                have = bool(mine) and mine[0][1] == "hard"
            else:
                have = bool(mine) and mine[0][2] == "failed"
            kind = ("hard" if have else "soft") if mine else "-"
            want = "hard" if want else "soft"
            score["hardsoft"][1] += 1
            if verdict in ("bounce", "delay") and kind == want:
                score["hardsoft"][0] += 1
            else:
                misses.append(f"hardsoft  {path}: want {want} ({cls} "
                              f"{r['dsn_status']}), got {kind} ({reason} "
                              f"{status})")
        want_rcpt = r["failed_recipient"].strip().lower()
        if want_rcpt:
            score["recipient"][1] += 1
            if want_rcpt in rcpts:
                score["recipient"][0] += 1
            else:
                misses.append(f"recipient {path}: want {want_rcpt}, got "
                              f"{','.join(rcpts) or '-'}")
    same, pairs = line_ends(kith, corpus)
    if show:
        print("\n".join(misses))
    print(f"lineends  {same}/{pairs} CR and CRLF copies read as their LF original")
    pct = {}
    for k, (ok, n) in score.items():
        pct[k] = 100.0 * ok / n if n else 100.0
        print(f"{k:9} {ok}/{n} = {pct[k]:.1f}%")
    print(" ".join(f"{k}={pct[k]:.1f}" for k in score))


main()
