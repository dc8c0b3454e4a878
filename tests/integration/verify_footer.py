#!/usr/bin/python3
"""Where the list footer landed in a member's copy, read with Python's
email package against the post as it was sent (t39-footer.sh).

  verify_footer.py HOW COPY ORIGINAL [HTML]

HOW is what should have happened:
  append     the one text part ends with the footer, its text, charset
             and transfer encoding otherwise as they were
  newpart    multipart/mixed kept, every part as it was, a footer part last
  wrap       multipart/mixed [the post as it was, the footer]
  inplace    the same structure; text parts end with the footer, HTML
             parts hold the HTML footer before </body>
  untouched  the body byte for byte as sent
With HTML (a word), the HTML footer must hold it.  Prints "ok" or the
first difference; exits 1 on a difference.
"""
import email
import email.policy
import sys

TEXT_MARK = "Leave the list:"


def parse(path):
    return email.message_from_binary_file(open(path, "rb"),
                                          policy=email.policy.default)


def body_bytes(path):
    raw = open(path, "rb").read().replace(b"\r\n", b"\n")
    return raw.split(b"\n\n", 1)[1] if b"\n\n" in raw else b""


def leaves(m):
    return [p for p in m.walk() if not p.is_multipart()]


def payload(p):
    data = p.get_payload(decode=True) or b""
    return data.replace(b"\r\n", b"\n")


def same_tree(a, b, where):
    if a.get_content_type() != b.get_content_type():
        fail("%s: %s became %s" % (where, a.get_content_type(),
                                   b.get_content_type()))
    la, lb = leaves(a), leaves(b)
    if len(la) != len(lb):
        fail("%s: %d parts became %d" % (where, len(la), len(lb)))
    for i, (x, y) in enumerate(zip(la, lb)):
        if payload(x) != payload(y):
            fail("%s: part %d (%s) changed" % (where, i, x.get_content_type()))


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def text_of(p):
    return p.get_content().replace("\r\n", "\n")


def main():
    how, copy_path, orig_path = sys.argv[1:4]
    html_mark = sys.argv[4] if len(sys.argv) > 4 else None
    copy, orig = parse(copy_path), parse(orig_path)
    if how == "untouched":
        if body_bytes(copy_path) != body_bytes(orig_path):
            fail("the body changed")
        if TEXT_MARK in open(copy_path, "rb").read().decode("latin-1"):
            fail("a footer is there")
    elif how == "append":
        if copy.is_multipart() or copy.get_content_type() != orig.get_content_type():
            fail("now " + copy.get_content_type())
        before, after = text_of(orig), text_of(copy)
        if copy.get_content_type() == "text/html":
            # the HTML as it was around the footer, which is before </body>
            cut = before.lower().rindex("</body")
            head, tail = before[:cut], before[cut:]
            if not after.startswith(head) or not after.endswith(tail) or \
                    html_mark not in after[len(head):len(after) - len(tail)]:
                fail("the HTML footer is not just before </body>")
        else:
            if not after.startswith(before.rstrip("\n")):
                fail("the text before the footer changed: %r" % after[:80])
            if TEXT_MARK not in after[len(before.rstrip("\n")):]:
                fail("no footer after the text")
        oc = orig.get_content_charset() or "us-ascii"
        cc = copy.get_content_charset() or "us-ascii"
        if cc != oc and not (oc == "us-ascii" and cc == "utf-8"):
            fail("charset %s became %s" % (oc, cc))
        octe = (orig["Content-Transfer-Encoding"] or "7bit").lower()
        ccte = (copy["Content-Transfer-Encoding"] or "7bit").lower()
        if octe in ("base64", "quoted-printable") and ccte != octe:
            fail("transfer encoding %s became %s" % (octe, ccte))
        if orig.get_param("format") and copy.get_param("format") != orig.get_param("format"):
            fail("format=%s lost" % orig.get_param("format"))
    elif how == "newpart":
        if copy.get_content_type() != "multipart/mixed":
            fail("now " + copy.get_content_type())
        op, cp = list(orig.iter_parts()), list(copy.iter_parts())
        if len(cp) != len(op) + 1:
            fail("%d parts, want %d" % (len(cp), len(op) + 1))
        for i, (x, y) in enumerate(zip(op, cp)):
            same_tree(x, y, "part %d" % i)
        last = cp[-1]
        texts = [p for p in last.walk() if p.get_content_type() == "text/plain"]
        if not texts or TEXT_MARK not in text_of(texts[0]):
            fail("the last part is not the footer")
    elif how == "wrap":
        if copy.get_content_type() != "multipart/mixed":
            fail("now " + copy.get_content_type())
        cp = list(copy.iter_parts())
        if len(cp) != 2:
            fail("%d parts, want 2" % len(cp))
        same_tree(orig, cp[0], "the post")
        texts = [p for p in cp[1].walk() if p.get_content_type() == "text/plain"]
        if not texts or TEXT_MARK not in text_of(texts[0]):
            fail("the second part is not the footer")
    elif how == "inplace":
        if copy.get_content_type() != orig.get_content_type():
            fail("now " + copy.get_content_type())
        lo, lc = leaves(orig), leaves(copy)
        if len(lo) != len(lc):
            fail("%d parts became %d" % (len(lo), len(lc)))
        for x, y in zip(lo, lc):
            t = x.get_content_type()
            if t == "text/plain":
                if not text_of(y).startswith(text_of(x).rstrip("\n")) or \
                        TEXT_MARK not in text_of(y):
                    fail("the text part has no footer after its text")
            elif t == "text/html":
                h = text_of(y)
                if html_mark not in h or h.index(html_mark) > h.lower().rindex("</body"):
                    fail("the HTML part has no footer before </body>")
            elif payload(x) != payload(y):
                fail(t + " changed")
    else:
        fail("unknown check " + how)
    print("ok")


main()
