"""leave_notices.py SINK_DIR SINCE OUT - every notice the sink received
after message number SINCE, normalised: the Message-ID, the Date and the
HMAC part of each preference link replaced, so that two runs (and two
builds) compare byte for byte.  One block per mail, ordered by recipient
and subject; each block is the envelope recipient and the mail's bytes."""
import email
import email.policy
import glob
import json
import os
import re
import sys

sink, since, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
blocks = []
for js in sorted(glob.glob(os.path.join(sink, "*.json"))):
    if int(os.path.basename(js)[:-5]) <= since:
        continue
    with open(js) as f:
        rcpts = json.load(f)["rcpt_tos"]
    with open(js[:-5] + ".eml", "rb") as f:
        raw = f.read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    raw = re.sub(rb"(?m)^Message-ID: <[^>\r\n]+>", b"Message-ID: <ID>", raw)
    raw = re.sub(rb"(?m)^Date: [^\r\n]+", b"Date: DATE", raw)
    raw = re.sub(rb"(/p/[0-9]+-[0-9]+-)[a-z2-7]{16}", rb"\1HMAC", raw)
    blocks.append((",".join(rcpts), str(m["Subject"]), raw))
with open(out, "wb") as f:
    for rcpt, subject, raw in sorted(blocks):
        f.write(b"=== " + rcpt.encode() + b"\n" + raw.replace(b"\r\n", b"\n")
                + b"\n")
