#!/usr/bin/python3
"""Check what the SMTP sink received for one list post, as a member's
mail client would see it, with Python's email package (an independent
parser).  Prints one line per check; exits 1 if any failed."""
import argparse
import email
import email.policy
import glob
import json
import os
import re
import sys
from email.header import decode_header, make_header

ap = argparse.ArgumentParser()
ap.add_argument("--sink", required=True)
ap.add_argument("--original", required=True)
ap.add_argument("--list", required=True)
ap.add_argument("--prefix", default="")
ap.add_argument("--members", required=True, help="comma-separated")
args = ap.parse_args()

failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "not ok - ") + what)
    if not cond:
        failures += 1


local, domain = args.list.split("@")
members = sorted(args.members.split(","))
orig = email.message_from_bytes(open(args.original, "rb").read(),
                                policy=email.policy.default)
deliveries = []
for js in sorted(glob.glob(os.path.join(args.sink, "*.json"))):
    env = json.load(open(js))
    raw = open(js[:-5] + ".eml", "rb").read()
    deliveries.append((env, raw))

check(len(deliveries) == len(members),
      "%d deliveries for %d members" % (len(deliveries), len(members)))
rcpts = sorted(r for env, _ in deliveries for r in env["rcpt_tos"])
check(rcpts == members, "RCPT TO is each member once: %s" % rcpts)
verp = re.compile(r"^%s-bounces\+[a-z0-9.]+-[a-z0-9]+-[a-z2-7]{16}@%s$"
                  % (re.escape(local), re.escape(domain)))
froms = [env["mail_from"] for env, _ in deliveries]
check(all(verp.match(f) for f in froms), "MAIL FROM is a VERP address: %s" % froms[:1])
check(len(set(froms)) == len(froms), "each recipient has its own VERP token")

want_subject = str(make_header(decode_header(orig["Subject"])))
if args.prefix:
    want_subject = args.prefix + " " + re.sub(r"^(\s*(re|aw|sv)\s*:\s*|\s*" +
                                              re.escape(args.prefix) + r"\s*)+", lambda m: "Re: " if re.search(r"(?i)re|aw|sv", m.group(0).replace(args.prefix, "")) else "", want_subject, flags=re.I)

orig_parts = [p for p in orig.walk() if not p.is_multipart()]
unsubs = []
for env, raw in deliveries:
    m = email.message_from_bytes(raw, policy=email.policy.default)
    who = env["rcpt_tos"][0]
    check(m["List-Id"] is not None and m["List-Id"].endswith("<%s.%s>" % (local, domain)),
          "%s: List-Id %s" % (who, m["List-Id"]))
    check(m["List-Post"] == "<mailto:%s>" % args.list, "%s: List-Post" % who)
    check(m["List-Help"] == "<mailto:%s-request@%s?subject=help>" % (local, domain),
          "%s: List-Help" % who)
    check(m["List-Subscribe"] == "<mailto:%s-subscribe@%s>" % (local, domain),
          "%s: List-Subscribe" % who)
    unsub = re.fullmatch(r"<mailto:%s-unsubscribe\+[a-z0-9.]+-[a-z0-9]+-[a-z2-7]{16}@%s>"
                         % (re.escape(local), re.escape(domain)), str(m["List-Unsubscribe"]))
    check(unsub is not None, "%s: List-Unsubscribe with the member's own token: %s"
          % (who, m["List-Unsubscribe"]))
    unsubs.append(str(m["List-Unsubscribe"]))
    check(m["Precedence"] == "list", "%s: Precedence: list" % who)
    check(m["X-Loop"] == args.list, "%s: X-Loop" % who)
    check(m["Message-ID"] == orig["Message-ID"], "%s: Message-ID kept" % who)
    subj = str(m["Subject"])
    check(subj == want_subject, "%s: Subject %r == %r" % (who, subj, want_subject))
    if args.prefix:
        check(subj.count(args.prefix) == 1, "%s: prefix appears once" % who)
    parts = [p for p in m.walk() if not p.is_multipart()]
    check(len(parts) == len(orig_parts), "%s: same number of MIME parts" % who)
    for a, b in zip(orig_parts, parts):
        pa, pb = a.get_payload(decode=True), b.get_payload(decode=True)
        if a.get_content_maintype() == "text":
            # SMTP carries CRLF; decoded text lines end as the wire did.
            pa, pb = pa.replace(b"\r\n", b"\n"), pb.replace(b"\r\n", b"\n")
        check(a.get_content_type() == b.get_content_type() and pa == pb,
              "%s: part %s decodes to identical bytes" % (who, a.get_content_type()))
    # The body below the header block is byte-for-byte the author's.
    ob = open(args.original, "rb").read().replace(b"\r\n", b"\n")
    body_orig = ob.split(b"\n\n", 1)[1]
    body_got = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1]
    check(body_orig == body_got, "%s: body byte-for-byte" % who)

check(len(set(unsubs)) == len(unsubs), "every member's List-Unsubscribe differs")
sys.exit(1 if failures else 0)
