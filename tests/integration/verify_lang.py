#!/usr/bin/python3
"""Is a mail in the language of a shipped translation?  For the language
tests (t50): the expected words are read from the translation itself at
test time, never written here, so that the test follows the translators.

  verify_lang.py in MAILFILE TEMPLATES LANG NAME
      The mail (parsed with Python's email package: every header and part
      decoded) was made from templates/LANG/NAME: the literal words of its
      Subject: line (outside {{...}} and {{#...}} blocks) are in the
      decoded Subject, else a line of its body's own words is in the
      decoded body; and, for LANG other than en, the English text's
      literal subject words are not there (the mail is not English).
      Exit 0, or 1 with the reason.

  verify_lang.py subject MAILFILE      the decoded Subject
  verify_lang.py body MAILFILE         every text part, decoded
"""
import email
import email.policy
import re
import sys

TAG = re.compile(r"\{\{[^{}]*\}\}")
BLOCK = re.compile(r"\{\{#(\w+)[^{}]*\}\}(?:(?!\{\{#).)*?\{\{/\1\}\}", re.S)


def parse(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def text_of(m):
    out = []
    for part in m.walk():
        if part.get_content_maintype() == "text":
            out.append(part.get_content())
    return "\n".join(out)


def literal(text):
    """text without its blocks (innermost first) and tags: what every
    rendering of it prints, as pieces."""
    prev = None
    while prev != text:
        prev = text
        text = BLOCK.sub("\x00", text)
    return [p.strip() for p in TAG.sub("\x00", text).split("\x00")
            if len(p.strip()) >= 3 and re.search(r"\w\w", p)]


def read_template(root, lang, name):
    with open("%s/%s/%s" % (root, lang, name), encoding="utf-8") as f:
        text = f.read()
    subject = None
    if text.startswith("Subject:"):
        first, _, text = text.partition("\n")
        subject = first[len("Subject:"):].strip()
    text = re.sub(r"\{\{![^{}]*\}\}", "", text)
    return subject, text


def body_lines(text):
    """lines of the template's body that hold no tag at all and at least
    three words: printed as they are (unless inside a block)."""
    prev = None
    while prev != text:
        prev = text
        text = BLOCK.sub("\n", text)
    return [ln.strip() for ln in text.splitlines()
            if "{{" not in ln and len(ln.split()) >= 3]


def norm(s):
    return " ".join(s.split())


def check_in(path, root, lang, name):
    m = parse(path)
    subject = norm(str(m["Subject"] or ""))
    body = norm(text_of(m))
    tsubj, tbody = read_template(root, lang, name)
    pieces = literal(tsubj) if tsubj else []
    if pieces:
        missing = [p for p in pieces if norm(p) not in subject]
        if missing:
            return "subject %r lacks %r of %s/%s" % (subject, missing[0],
                                                     lang, name)
    else:
        lines = body_lines(tbody)
        if not lines:
            return "%s/%s has no literal subject or line to look for" % (
                lang, name)
        if not any(norm(ln) in body for ln in lines):
            return "body has no line of %s/%s (e.g. %r)" % (lang, name,
                                                            lines[0])
    if lang != "en":
        esubj, _ = read_template(root, "en", name)
        for p in literal(esubj) if esubj else []:
            # as whole words: "Issue" is not in "Issue_cs"
            whole = re.search(r"(?<!\w)" + re.escape(norm(p)) + r"(?!\w)",
                              subject)
            if whole and norm(p) not in map(norm, pieces):
                return "subject %r still has the English %r" % (subject, p)
    return None


def main():
    cmd = sys.argv[1]
    if cmd == "in":
        why = check_in(*sys.argv[2:6])
        if why:
            print(why)
            return 1
        return 0
    if cmd == "subject":
        print(str(parse(sys.argv[2])["Subject"] or ""))
        return 0
    if cmd == "body":
        print(text_of(parse(sys.argv[2])))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
