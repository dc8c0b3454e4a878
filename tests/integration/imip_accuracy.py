#!/usr/bin/python3
"""Read the labelled calendars of ../shared/corpus with `kith event parse`
and compare with imip-labels.tsv (each client's own invitations, replies
and cancellations: Google, Exchange/Outlook, iPhone/iCloud, Thunderbird,
Horde ...).

usage: imip_accuracy.py KITH CORPUS_DIR

Compared per VEVENT row: METHOD, UID, SEQUENCE, RECURRENCE-ID, ORGANIZER
(or its absence: Exchange replies have none), and the attendees: for a
REPLY the attendee and PARTSTAT, otherwise how many there are and the
set of PARTSTATs.  Prints each mismatch, then "N rows, N fields, N wrong".
"""
import csv
import subprocess
import sys


def main():
    kith, corpus = sys.argv[1], sys.argv[2]
    rows = [r for r in csv.DictReader(open(f"{corpus}/imip-labels.tsv",
                                           newline=""), delimiter="\t")
            if r["component"] == "VEVENT"]
    files = sorted({r["file"] for r in rows})
    out = subprocess.run([kith, "event", "parse"] +
                         [f"{corpus}/{f}" for f in files],
                         capture_output=True, text=True, check=True).stdout
    got = {}
    for line in out.splitlines():
        f = line.split("\t")
        got[f[0][len(corpus) + 1:]] = f[1:]
    fields = wrong = 0
    for r in rows:
        g = got[r["file"]]
        if len(g) < 6:
            print(f"{r['file']}: not read")
            wrong += 1
            continue
        method, uid, seq, rid, org, atts = g[0], g[1], g[2], g[3], g[4], g[5]
        pairs = [a.rsplit("=", 1) for a in atts.split(",")] if atts else []
        checks = [("METHOD", r["METHOD"], method)]
        if r["uid"]:
            checks.append(("UID", r["uid"], uid))
        if r["sequence"]:
            checks.append(("SEQUENCE", r["sequence"], seq))
        checks.append(("RECURRENCE-ID", r["recurrence_id"], rid))
        want_org = r["organizer"].lower()
        if want_org.startswith("cn=organizer:mailto:"):
            want_org = want_org[len("cn=organizer:mailto:"):]
        checks.append(("ORGANIZER", want_org, org))
        if r["METHOD"] == "REPLY":
            a = [p for p in pairs if p[0] == r["attendee"].lower()]
            checks.append(("ATTENDEE", r["attendee"].lower(),
                           a[0][0] if a else ",".join(p[0] for p in pairs)))
            checks.append(("PARTSTAT", r["PARTSTAT"], a[0][1] if a else ""))
        else:
            n = r["attendee"].strip("()").split()[0]
            checks.append(("ATTENDEES", n, str(len(pairs))))
            checks.append(("PARTSTATS", r["PARTSTAT"],
                           ",".join(sorted({p[1] for p in pairs}))))
        for name, want, have in checks:
            fields += 1
            if want != have:
                wrong += 1
                print(f"{r['file']}: {name} want {want!r} got {have!r}")
    print(f"{len(rows)} rows, {fields} fields, {wrong} wrong")


main()
