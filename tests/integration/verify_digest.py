#!/usr/bin/python3
"""Check a delivered digest with Python's email package.

  verify_digest.py mime FILE ARCHIVE_DIR SUBJECT PREFIX TOPIC...
      multipart/mixed with a text/plain table of contents listing each
      TOPIC in order (the list's PREFIX removed) and a multipart/digest
      whose message/rfc822 parts equal, byte for byte (line ends aside),
      ARCHIVE_DIR/<Message-ID>.eml as `kith archive show` printed them.
  verify_digest.py plain FILE SUBJECT TOPIC...
      RFC 1153 layout, line by line.
Prints one line per check; exits 1 when one fails."""
import email
import email.policy
import os
import sys

fails = 0


def check(cond, what):
    global fails
    print(("ok - " if cond else "not ok - ") + what)
    fails += 0 if cond else 1


def norm(b):
    return b.replace(b"\r\n", b"\n").rstrip(b"\n")


def mime(path, archive, subject, prefix, topics):
    m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    check(str(m["Subject"]) == subject, "Subject %r" % str(m["Subject"]))
    check(m.get_content_type() == "multipart/mixed", "multipart/mixed")
    parts = list(m.iter_parts())
    toc = parts[0].get_content()
    check(parts[0].get_content_type() == "text/plain", "contents first, text/plain")
    lines = [l.strip() for l in toc.splitlines() if l.strip()[:1].isdigit()]
    want = ["%d. %s" % (i + 1, t) for i, t in enumerate(topics)]
    # the subjects are padded to one column for the authors
    got = [" ".join(l.rsplit(" (", 1)[0].split()) for l in lines]
    check(got == want, "table of contents %r == %r" % (got, want))
    check(prefix == "" or prefix not in toc, "no list prefix in the contents")
    digest = parts[1]
    check(digest.get_content_type() == "multipart/digest", "multipart/digest")
    inner = list(digest.iter_parts())
    check(len(inner) == len(topics), "%d posts attached" % len(inner))
    raw = open(path, "rb").read()
    for part in inner:
        check(part.get_content_type() == "message/rfc822", "part is message/rfc822")
        msg = part.get_payload()[0]
        mid = msg["Message-ID"].strip("<>")
        archived = open(os.path.join(archive, mid + ".eml"), "rb").read()
        # the bytes of the part as they stand in the digest
        check(norm(archived) in norm(raw), "post <%s> is in the digest byte for byte" % mid)
        check(msg["Subject"] is not None, "post <%s> parses" % mid)


def plain(path, subject, topics):
    m = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    check(str(m["Subject"]) == subject, "Subject %r" % str(m["Subject"]))
    check(m.get_content_type() == "text/plain", "text/plain")
    text = m.get_content().replace("\r\n", "\n")
    lines = text.split("\n")
    i = lines.index("Today's Topics:")
    for n, t in enumerate(topics):
        check(" ".join(lines[i + 2 + n].split()).startswith("%d. %s (" % (n + 1, t)),
              "topic line %d: %r" % (n + 1, lines[i + 2 + n]))
    check(lines[i + 2 + len(topics)] == "", "blank line after the topics")
    check(lines[i + 3 + len(topics)] == "-" * 70, "then 70 dashes")
    seps = [k for k, l in enumerate(lines) if l == "-" * 30]
    check(len(seps) == len(topics), "%d separators of 30 dashes" % len(seps))
    for k in seps:
        check(lines[k - 1] == "" and lines[k + 1] == "", "blank lines around each separator")
    msgs = [k for k, l in enumerate(lines) if l.startswith("Message: ")]
    check(len(msgs) == len(topics), "one 'Message: N' block per post")
    for k in msgs:
        check(lines[k + 1].startswith("Date: ") and lines[k + 2].startswith("From: ")
              and lines[k + 3].startswith("Subject: "), "headers of message at line %d" % k)
    end = "End of %s" % subject
    check(end in lines, "trailer %r" % end)
    j = lines.index(end)
    check(lines[j + 1] == "*" * len(lines[j + 1]) and len(lines[j + 1]) >= len(end),
          "asterisks under the trailer")
    return text


kind = sys.argv[1]
if kind == "mime":
    mime(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:])
else:
    plain(sys.argv[2], sys.argv[3], sys.argv[4:])
sys.exit(1 if fails else 0)
