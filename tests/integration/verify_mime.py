#!/usr/bin/python3
"""Read the MIME builder's golden files (tests/data/mime/NAME.eml, written
by tests/unit/test_mime.c) with Python's email package and check what a
mail reader would show: decoded names and subjects in Korean, Greek and
Czech, RFC 2231 file names, each part's type and decoded bytes, no parse
defects, and no boundary inside the parts it separates.

  verify_mime.py DATA_DIR
  verify_mime.py shape FILE...
      mail Kith sent, whatever it is: parses without defects, every
      header line within 78 columns (or one word alone, within 998), no
      line over 998, no encoded-word left undecoded, each text part
      decodes, each boundary only where it belongs.
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


CAL = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
       "SUMMARY:Pálava\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"

# name: (subject, [(content type, filename or None, decoded payload)])
WANT = {
    "text": ("Pálava v sobotu", [
        ("text/plain", None, "Dobrý den,\r\n\r\nsraz v 8:00 na nádraží.\r\n"
         .encode())]),
    "alternative": ("Συνάντηση την Παρασκευή", [
        ("multipart/alternative", None, None),
        ("text/plain", None, b"Hello,\r\n\r\nthe news.\r\n"),
        ("text/html", None, b"<p>Hello,</p>\r\n<p>the <b>news</b>.</p>\r\n")]),
    "mixed": ("스터디 자료 · Přílohy", [
        ("multipart/mixed", None, None),
        ("text/plain", None, b"Two files attached.\r\n"),
        ("application/pdf", "회의록 2026년 11월 스터디 모임 최종본.pdf", PDF),
        ("text/csv", "Přehled výdajů.csv", b"a;b\n1;2\n")]),
    "related": ("Logo", [
        ("multipart/related", None, None),
        ("text/html", None, b'<p><img src="cid:logo@example.org"></p>\r\n'),
        ("image/png", "logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")]),
    "digest": ("Turisti Digest, Vol 1, Issue 1", [
        ("multipart/mixed", None, None),
        ("text/plain", None, "Today's Topics:\r\n\r\n   1. Pálava (Petr)\r\n"
         "   2. Re: Pálava (Jiří)\r\n".encode()),
        ("multipart/digest", None, None),
        ("message/rfc822", None, None),
        ("text/plain", None, "Kdo jede na Pálavu?\n".encode()),
        ("message/rfc822", None, None),
        ("text/plain", None, b"Ja.\n"),
        ("text/plain", None, b"End of Turisti Digest, Vol 1, Issue 1\r\n")]),
    "invitation": ("Invitation: Pálava, Sat 12 Dec 2026, 08:00 CET", [
        ("multipart/mixed", None, None),
        ("multipart/alternative", None, None),
        ("text/plain", None, b"You are invited, Olga.\r\n"),
        ("text/html", None, b"<p>You are invited, Olga.</p>\r\n"),
        ("text/calendar", None, CAL),
        ("application/ics", "invite.ics", CAL)]),
}


def boundaries_clean(m, raw, name):
    """No multipart's boundary occurs inside the parts it separates."""
    for part in m.walk():
        if part.get_content_maintype() != "multipart":
            continue
        b = part.get_boundary().encode()
        delims = raw.count(b"--" + b)
        kids = len(part.get_payload())
        # one delimiter before each part, one close, one in the header
        check(delims == kids + 1 and raw.count(b) == kids + 2,
              "%s: boundary %s only where it belongs" % (name, b.decode()))


def verify(path, name):
    raw = open(path, "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.strict)
    subject, parts = WANT[name]
    check(str(m["Subject"]) == subject, "%s: Subject %r" % (name, str(m["Subject"])))
    check(m["From"].addresses[0].display_name == "Pražští turisté" and
          m["From"].addresses[0].addr_spec == "turisti@example.cz",
          "%s: From %r" % (name, str(m["From"])))
    check(m["To"].addresses[0].display_name == "김민준",
          "%s: To %r" % (name, str(m["To"])))
    got = list(m.walk())
    check(len(got) == len(parts), "%s: %d parts" % (name, len(got)))
    for part, (ctype, fname, payload) in zip(got, parts):
        what = "%s: %s" % (name, ctype)
        check(part.get_content_type() == ctype, "%s is %s" % (what, part.get_content_type()))
        check(part.get_filename() == fname, "%s file name %r" % (what, part.get_filename()))
        if payload is not None:
            data = part.get_payload(decode=True)
            # Python hands text parts back with its own line ends
            if part.get_content_maintype() == "text":
                data = data.replace(b"\r\n", b"\n")
                payload = payload.replace(b"\r\n", b"\n")
            check(data == payload, "%s decodes to %r" % (what, data[:40]))
        check(not part.defects, "%s: no defects %s" % (what, part.defects))
    if name == "invitation":
        cal = got[4]
        check(cal.get_param("method") == "REQUEST", "invitation: method=REQUEST")
    if name == "related":
        check(got[2]["Content-ID"] == "<logo@example.org>", "related: Content-ID")
    boundaries_clean(m, raw, name)


def header_lines_ok(raw):
    """Lines of the header block: 78 columns, or one word within 998."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        words = line.split(b": ", 1)[-1].strip().split()
        if len(line) > 998 or (len(line) > 78 and len(words) > 1):
            return line
    return None


def shape(path):
    name = os.path.basename(path)
    raw = open(path, "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    what = "%s (%s)" % (name, m["Subject"])
    bad = header_lines_ok(raw)
    check(bad is None, "%s: header lines fold within 78 %r" % (what, bad))
    long = [l for l in raw.split(b"\n") if len(l.rstrip(b"\r")) > 998]
    check(not long, "%s: no line over 998 octets" % what)
    for part in m.walk():
        check(not part.defects, "%s: %s parses without defects %s" % (
            what, part.get_content_type(), part.defects))
        for k, v in part.items():
            check("=?" not in str(v), "%s: %s decoded: %r" % (what, k, str(v)))
        if part.get_content_maintype() == "text":
            try:
                part.get_content()
                ok = True
            except (LookupError, UnicodeError):
                ok = False
            check(ok, "%s: %s decodes" % (what, part.get_content_type()))
    boundaries_clean(m, raw, name)


if sys.argv[1] == "shape":
    for f in sys.argv[2:]:
        shape(f)
    sys.exit(1 if fails else 0)
data = sys.argv[1]
names = sorted(f[:-4] for f in os.listdir(data) if f.endswith(".eml"))
check(names == sorted(WANT), "golden files %s" % names)
for n in names:
    if n in WANT:
        verify(os.path.join(data, n + ".eml"), n)
sys.exit(1 if fails else 0)
