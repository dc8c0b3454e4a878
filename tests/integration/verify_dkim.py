#!/usr/bin/python3
"""Verify the DKIM signature of every message the sink received with
dkimpy (python3-dkim), against the public key in a PEM private key file
(read with openssl, independently of Kith).  Prints one line per message;
exits 1 when one does not verify or is not signed.

usage: verify_dkim.py SINK KEYFILE SELECTOR DOMAIN [--now EPOCH]
--now verifies as a receiver would at that moment (the test's clock):
dkimpy refuses a t= more than 10 hours after its "now", which is
otherwise the machine's."""
import glob
import os
import subprocess
import sys
import types

import dkim

sink, keyfile, selector, domain = sys.argv[1:5]
if "--now" in sys.argv:
    now = int(sys.argv[sys.argv.index("--now") + 1])
    dkim.time = types.SimpleNamespace(time=lambda: now)
der = subprocess.run(["openssl", "rsa", "-in", keyfile, "-pubout", "-outform", "DER"],
                     capture_output=True, check=True).stdout
import base64
record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
want = ("%s._domainkey.%s." % (selector, domain)).encode()


def dnsfunc(name, timeout=5):
    return record if name.rstrip(b".") + b"." == want else None


bad = 0
files = sorted(glob.glob(os.path.join(sink, "*.eml")))
for f in files:
    raw = open(f, "rb").read()
    signed = raw.startswith(b"DKIM-Signature:") or b"\nDKIM-Signature:" in raw
    ok = signed and dkim.verify(raw, dnsfunc=dnsfunc)
    print(("ok - " if ok else "not ok - ") + "%s: DKIM %s" % (
        os.path.basename(f), "verifies" if ok else ("fails" if signed else "missing")))
    bad += 0 if ok else 1
print("# %d messages checked" % len(files))
sys.exit(1 if bad or not files else 0)
