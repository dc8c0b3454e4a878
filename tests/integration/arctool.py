#!/usr/bin/python3
"""ARC (RFC 8617) for the tests, with dkimpy (python3-dkim): an upstream
hop that seals a message, and a verifier for what Kith sent.  Keys are
looked up at the test's DNS server (unbound on 127.0.0.1) with dnspython,
as a receiver would; dkimpy's clock is the test's.

  arctool.py seal IN OUT KEYFILE SELECTOR DOMAIN SRV_ID NOW
        OUT = IN with an ARC set of the upstream (dkim.arc_sign) on top
  arctool.py verify-newest FILE DNSPORT NOW
        the same for the newest set alone (older sets taken out): how a
        cv=fail seal is checked (RFC 8617 5.1.2: it covers its own set)
  arctool.py verify FILE DNSPORT NOW
        prints "cv=pass|fail|none|ended instances=N ams=ok as=ok,ok (comment)"
        (as= per instance, newest first); exit 0
"""
import re
import sys
import types

import dkim
import dns.resolver


def txt_at(port):
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = int(port)
    r.lifetime = 5

    def dnsfunc(name, timeout=5):
        try:
            ans = r.resolve(name.decode().rstrip("."), "TXT")
        except Exception:
            return None
        return b"".join(b"".join(rd.strings) for rd in ans[:1])
    return dnsfunc


def newest_only(raw):
    """raw without the ARC header fields of all but its newest set"""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    eol = b"\r\n" if sep == b"\r\n\r\n" else b"\n"
    fields, cur = [], []
    for line in head.split(eol):
        if line[:1] in (b" ", b"\t") and cur:
            cur.append(line)
            continue
        if cur:
            fields.append(cur)
        cur = [line]
    if cur:
        fields.append(cur)

    def inst(f):
        name = f[0].split(b":", 1)[0].strip().lower()
        if not name.startswith(b"arc-"):
            return None
        m = re.search(rb"i\s*=\s*(\d+)", b" ".join(f))
        return int(m.group(1)) if m else None
    top = max((inst(f) or 0) for f in fields)
    kept = [f for f in fields if inst(f) in (None, top)]
    return eol.join(eol.join(f) for f in kept) + sep + body


def main():
    cmd = sys.argv[1]
    if cmd == "seal":
        src, out, keyfile, selector, domain, srv, now = sys.argv[2:9]
        # CRLF throughout: dkimpy ends its ARC-Authentication-Results
        # with CRLF whatever linesep it is given
        raw = open(src, "rb").read().replace(b"\r\n", b"\n")
        raw = raw.replace(b"\n", b"\r\n")
        dkim.time = types.SimpleNamespace(time=lambda: int(now))
        lines = dkim.arc_sign(raw, selector.encode(), domain.encode(),
                              open(keyfile, "rb").read(), srv.encode(),
                              timestamp=int(now))
        if not lines:
            sys.exit("arc_sign made no set")
        open(out, "wb").write(b"".join(lines) + raw)
        return
    path, port, now = sys.argv[2:5]
    dkim.time = types.SimpleNamespace(time=lambda: int(now))
    raw = open(path, "rb").read()
    if cmd == "verify-newest":
        raw = newest_only(raw)
    cv, results, comment = dkim.arc_verify(raw, dnsfunc=txt_at(port))
    state = {b"pass": "pass", b"fail": "fail", b"none": "none"}.get(cv, "ended")
    ams = "ok" if results and results[0].get("ams-valid") else "bad"
    seals = ",".join("ok" if r.get("as-valid") else "bad" for r in results)
    print("cv=%s instances=%d ams=%s as=%s (%s)" % (state, len(results), ams,
                                                   seals, comment))


main()
