#!/usr/bin/python3
"""Read what the SMTP sink received, with Python's email package, for the
shell tests.

  mailtool.py last SINKDIR RCPT        path of the newest message to RCPT
  mailtool.py count SINKDIR RCPT       how many messages went to RCPT
  mailtool.py header FILE NAME         a header, decoded ('' when absent)
  mailtool.py body FILE                the first text/plain part, decoded
  mailtool.py attached FILE            the attached message/rfc822's Subject
"""
import email
import email.policy
import glob
import json
import os
import sys


def deliveries(sink, rcpt):
    out = []
    for js in sorted(glob.glob(os.path.join(sink, "*.json"))):
        if rcpt in json.load(open(js))["rcpt_tos"]:
            out.append(js[:-5] + ".eml")
    return out


def parse(path):
    return email.message_from_binary_file(open(path, "rb"),
                                          policy=email.policy.default)


def main():
    cmd = sys.argv[1]
    if cmd == "last":
        d = deliveries(sys.argv[2], sys.argv[3])
        print(d[-1] if d else "")
    elif cmd == "count":
        print(len(deliveries(sys.argv[2], sys.argv[3])))
    elif cmd == "header":
        v = parse(sys.argv[2])[sys.argv[3]]
        print("" if v is None else str(v))
    elif cmd == "body":
        m = parse(sys.argv[2])
        part = m.get_body(preferencelist=("plain",))
        print(part.get_content() if part else "")
    elif cmd == "attached":
        m = parse(sys.argv[2])
        for part in m.walk():
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()[0]
                print(str(inner["Subject"]))
                return 0
        print("")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # grep -q stopped reading: fine
        sys.exit(0)
