#!/usr/bin/python3
"""Check one newsletter copy as a mail client would read it.

usage: verify_newsletter.py FILE NAME ADDRESS [--html] [--https]

Checks, with Python's email package: the To header carries NAME (decoded
from RFC 2047) and ADDRESS; the text part greets NAME as written; with
--html the message is multipart/alternative and the HTML part has NAME
HTML-escaped and never raw; List-Unsubscribe has the member's own mailto
(and with --https an https link plus List-Unsubscribe-Post for RFC 8058
one-click).  Prints "ok" and the unsubscribe mailto address, or the
first problem and exits 1.
"""
import email
import email.policy
import html
import re
import sys


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def main():
    path, name, address = sys.argv[1:4]
    want_html = "--html" in sys.argv
    want_https = "--https" in sys.argv
    msg = email.message_from_binary_file(open(path, "rb"),
                                         policy=email.policy.default)
    to = msg["To"]
    if to.addresses[0].display_name != name:
        fail(f"To display name {to.addresses[0].display_name!r} != {name!r}")
    if to.addresses[0].addr_spec != address:
        fail(f"To address {to.addresses[0].addr_spec!r}")
    if want_html:
        if msg.get_content_type() != "multipart/alternative":
            fail("not multipart/alternative: " + msg.get_content_type())
        types = [p.get_content_type() for p in msg.iter_parts()]
        if types != ["text/plain", "text/html"]:
            fail(f"parts {types}")
    text = msg.get_body(("plain",)).get_content()
    if f"Hello {name}," not in text:
        fail("the text part does not greet the member by name")
    if want_html:
        body = msg.get_body(("html",)).get_content()
        if f"Hello {html.escape(name)}," not in body:
            fail("the HTML part lacks the escaped name")
        if "<" in name and name in body:
            fail("the HTML part has the name unescaped")
    lu = msg["List-Unsubscribe"] or ""
    m = re.search(r"<mailto:([^>]+)>", lu)
    if not m or "-unsubscribe+" not in m.group(1):
        fail(f"List-Unsubscribe has no per-member mailto: {lu!r}")
    if want_https:
        if not re.search(r"<https://[^>]+/u/[^>]+>", lu):
            fail(f"List-Unsubscribe has no https link: {lu!r}")
        if msg["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click":
            fail("List-Unsubscribe-Post missing")
    print("ok " + m.group(1))


main()
