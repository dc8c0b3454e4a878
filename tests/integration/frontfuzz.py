#!/usr/bin/python3
# frontfuzz.py - kith serve's two front doors fed malformed input: LMTP
# sessions (commands, parameters, recipients and messages mutated from
# real ones: MIME, encoded words, a DSN, an iMIP reply, requests in the
# request address's words) and HTTP requests (every page's path, methods,
# bodies and headers mutated), from one seed, so a failing run repeats.
#   frontfuzz.py HTTP_PORT LMTP_PORT SERVER_PID CASES SEED
# Prints "ok - ..." or "not ok - ..." (the server gone: the case that
# did it and its seed).
import os, random, socket, sys

http, lmtp, pid, cases, seed = (int(a) for a in sys.argv[1:6])
rnd = random.Random(seed)

JUNK = [b"", b"\x00", b"\r", b"\n", b"\xff\xfe", b"%", b"%00", b"%zz", b"=?utf-8?B?", b"=?x?Q?=", b"\\", b"\"", b"<", b">",
        b"A" * 5000, b"\xc3", b"\xe2\x80", b"..", b"/", b"?", b"&", b"=", b";", b"boundary=", b"--", b"\t", b" " * 300]

def junk():
    return b"".join(rnd.choice(JUNK) for _ in range(rnd.randint(0, 4)))

def mutate(b):
    b = bytearray(b)
    for _ in range(rnd.randint(0, 6)):
        if not b:
            break
        op = rnd.randint(0, 3)
        i = rnd.randrange(len(b))
        if op == 0:
            b[i] = rnd.randrange(256)
        elif op == 1:
            b[i:i] = junk()
        elif op == 2:
            del b[i:i + rnd.randint(1, 20)]
        else:
            j = rnd.randrange(len(b))
            b[i:i] = b[j:j + rnd.randint(1, 40)]
    return bytes(b)

MSGS = [
    b"From: Alice <alice@example.org>\r\nTo: team@example.org\r\nSubject: hi\r\nMessage-ID: <%d@x>\r\n\r\nhello\r\n",
    b"From: alice@example.org\r\nTo: team@example.org\r\nSubject: =?utf-8?B?w6lzdA==?= =?iso-8859-1?Q?caf=E9?=\r\nMessage-ID: <%d@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nsoft\r\n--b1\r\nContent-Type: application/octet-stream; name*=utf-8''a%20b.exe\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b1--\r\n",
    b"From: bob@example.org\r\nTo: team-request@example.org\r\nSubject: subscribe\r\nMessage-ID: <%d@x>\r\n\r\nsubscribe\r\nset digest daily\r\nrsvp 1 yes\r\nvote 1 2\r\n",
    b"From: MAILER-DAEMON@example.net\r\nTo: team-bounces+1-abc@example.org\r\nSubject: Undelivered\r\nMessage-ID: <%d@x>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\n\r\nfail\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; alice@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--r--\r\n",
    b"From: alice@example.org\r\nTo: team@example.org\r\nSubject: Re: hi\r\nIn-Reply-To: <1@x>\r\nReferences: <1@x> <2@x>\r\nMessage-ID: <%d@x>\r\nContent-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:kith-1@example.org\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    b"From: bob@example.org\r\nTo: team-request@example.org\r\nSubject: set\r\nMessage-ID: <%d@x>\r\n\r\nset\r\nrsvp\r\nnastavit\r\nteilnahme vielleicht\r\nset language\r\nset nomail until\r\nset digest\r\n",
    b"From: alice@example.org\r\nTo: team@example.org\r\nSubject: html\r\nMessage-ID: <%d@x>\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script><p onclick=x>hi<img src=http://evil/x>\r\n",
]
RCPTS = [b"team@example.org", b"team-request@example.org", b"team-owner@example.org", b"team-bounces+1-abc@example.org",
         b"team-events@example.org", b"team-poll+abc@example.org", b"team-join@example.org", b"team-leave@example.org",
         b"nosuch@example.org", b"team+x@example.org", b"", b"<>", b"team@EXAMPLE.ORG"]

def exchange(port, data):
    """data to the server, then its answers read to the end"""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()

def lmtp_case():
    out = []
    out.append(rnd.choice([b"LHLO x\r\n", b"LHLO\r\n", b"EHLO x\r\n", mutate(b"LHLO client.example\r\n")]))
    out.append(rnd.choice([b"MAIL FROM:<alice@example.org>\r\n", b"MAIL FROM:<> SIZE=100 BODY=8BITMIME\r\n",
                           mutate(b"MAIL FROM:<alice@example.org> SIZE=99999999999999999999\r\n")]))
    for _ in range(rnd.randint(0, 4)):
        r = rnd.choice(RCPTS)
        out.append(b"RCPT TO:<" + (mutate(r) if rnd.random() < 0.3 else r) + b">\r\n")
    if rnd.random() < 0.2:
        out.append(mutate(b"RSET\r\nNOOP\r\nVRFY x\r\nBDAT 10\r\n"))
    out.append(b"DATA\r\n")
    msg = rnd.choice(MSGS)
    msg = msg.replace(b"%d", str(rnd.randrange(10**9)).encode())
    if rnd.random() < 0.7:
        msg = mutate(msg)
    msg = msg.replace(b"\r\n.", b"\r\n..")
    out.append(msg + (b"\r\n.\r\n" if rnd.random() < 0.95 else b""))
    out.append(b"QUIT\r\n")
    data = b"".join(out)
    if rnd.random() < 0.3:
        data = mutate(data)
    cut = len(data) if rnd.random() < 0.9 else rnd.randrange(len(data) + 1)
    exchange(lmtp, data[:cut])

# the members' own links (FUZZ_PATHS, one a line), mutated or not, reach
# past the token check
REAL = [l.encode() for l in os.environ.get("FUZZ_PATHS", "").split() if l]
PATHS = REAL + [b"/u/", b"/p/", b"/l/team", b"/r/", b"/v/", b"/m/", b"/a/team/", b"/a/team/2026/12/", b"/a/team/t/1/",
         b"/a/team/search?q=", b"/a/team/atom.xml", b"/a/team/m/", b"/healthz", b"/metrics", b"/style.css", b"/",
         b"/a/team/n/1/", b"/a/team/mbox/2026-12.mbox"]

def http_case():
    method = rnd.choice([b"GET", b"POST", b"HEAD", b"PUT", b"OPTIONS", b"G\x00T"])
    path = rnd.choice(PATHS) + junk() + (b"?" + junk() if rnd.random() < 0.3 else b"")
    if rnd.random() < 0.3:
        path = mutate(path)
    body = rnd.choice([b"List-Unsubscribe=One-Click", b"csrf=x&mode=digest&lang=de&topics=a&topics=b",
                       b"--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b--\r\n",
                       b"address=a%40b.c&name=%FF%00", b""])
    if rnd.random() < 0.5:
        body = mutate(body)
    ctype = rnd.choice([b"application/x-www-form-urlencoded", b"multipart/form-data; boundary=b",
                        b"multipart/form-data", b"text/plain", mutate(b"multipart/form-data; boundary=\"b\"")])
    hdrs = b"Host: x\r\nContent-Type: " + ctype + b"\r\n"
    if rnd.random() < 0.2:
        hdrs += b"Accept-Language: " + mutate(b"de-DE,de;q=0.9,en;q=0.8,*;q=0.1") + b"\r\n"
    if rnd.random() < 0.1:
        hdrs += b"Cookie: " + junk() + b"\r\n"
    if rnd.random() < 0.9:
        hdrs += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    req = method + b" " + path + b" HTTP/1.1\r\n" + hdrs + b"Connection: close\r\n\r\n" + body
    if rnd.random() < 0.1:
        req = mutate(req)
    exchange(http, req)

def alive():
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # a zombie is gone too: the parent (the test) has not reaped it yet
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split(") ")[1][0] != "Z"

kinds = {"lmtp": 0, "http": 0}
for n in range(cases):
    kind = "lmtp" if rnd.random() < 0.5 else "http"
    kinds[kind] += 1
    (lmtp_case if kind == "lmtp" else http_case)()
    if not alive():
        print("not ok - kith serve is gone after case %d (%s), seed %d" % (n, kind, seed))
        sys.exit(0)
print("ok - kith serve took %d malformed LMTP sessions and %d HTTP requests (seed %d)"
      % (kinds["lmtp"], kinds["http"], seed))
