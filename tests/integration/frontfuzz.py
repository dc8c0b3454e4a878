#!/usr/bin/python3
# frontfuzz.py - kith serve's two front doors fed malformed input: LMTP
# sessions (commands, parameters, recipients and messages mutated from
# real ones: MIME, encoded words, a DSN, an iMIP reply, requests in the
# request address's words) and HTTP requests (every page's path, methods,
# bodies and headers mutated), from one seed, so a failing run repeats.
#   frontfuzz.py HTTP_PORT LMTP_PORT SERVER_PID CASES SEED
# Prints "ok - ..." or "not ok - ..." (the server gone: the case that
# did it and its seed).
import os, random, re, socket, sys, urllib.parse

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
    b"From: bob@example.org\r\nTo: team@example.org\r\nSubject: Re: please confirm\r\nMessage-ID: <%d@x>\r\nIn-Reply-To: <confirm@example.org>\r\n\r\nyes\r\napprove\r\nreject not now\r\n2\r\n> quoted\r\n",
    b"From: alice@example.org\r\nTo: team@example.org\r\nSubject: html\r\nMessage-ID: <%d@x>\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script><p onclick=x>hi<img src=http://evil/x>\r\n",
]
RCPTS = [b"team@example.org", b"team-request@example.org", b"team-owner@example.org", b"team-bounces+1-abc@example.org",
         b"team-events@example.org", b"team-poll+abc@example.org", b"team-join@example.org", b"team-leave@example.org",
         b"nosuch@example.org", b"team+x@example.org", b"", b"<>", b"team@EXAMPLE.ORG"]
# the members' own reply addresses (FUZZ_RCPTS): VERP bounce addresses,
# confirmation, unsubscribe, RSVP and vote replies, with real tokens
RCPTS += [a.encode() for a in os.environ.get("FUZZ_RCPTS", "").split() if a]

def exchange(port, data):
    """data to the server, then its answers read to the end"""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    got = []
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while True:
            b = s.recv(65536)
            if not b:
                break
            got.append(b)
    except OSError:
        pass
    s.close()
    return b"".join(got)

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

FIELDS = {
    b"delivery": [b"each", b"digest-daily", b"digest-weekly", b"nomail", b"nomail-until", b"until"],
    b"until": [b"2027-01-01", b"2027-13-45", b"0000-00-00", b"9999-12-31", b"yesterday"],
    b"format": [b"plain", b"mime", b"html"],
    b"language": [b"de", b"cs", b"ko", b"xx", b"en-US", b"../en"],
    b"thanks": [b"on", b"off", b"1"],
    b"topics": [b"events", b"news", b"a,b"],
    b"action": [b"leave", b"save", b"approve", b"reject", b"discard"],
    b"answer": [b"yes", b"no", b"maybe", b"accept"],
    b"option": [b"1", b"2", b"0", b"-1", b"99999999999999999999"],
    b"address": [b"new@example.net", b"bob@example.org", b"a@b@c", b"<x>@y"],
    b"name": [b"Ann", b"=?utf-8?B?w6k=?=", b"\xff"],
    b"reason": [b"spam", b"\r\nBcc: x@y"],
}

def form_case():
    """a member's own page read for its CSRF token, then its form posted
    with fields mutated: past the token and CSRF checks, into the code
    that changes something"""
    if not REAL:
        return http_case()
    path = rnd.choice(REAL)
    page = exchange(http, b"GET " + path + b" HTTP/1.0\r\nHost: x\r\n\r\n")
    m = re.search(rb'name="csrf" value="([^"]*)"', page)
    fields = [(b"csrf", m.group(1) if m else junk())]
    for k in rnd.sample(sorted(FIELDS), rnd.randint(0, 5)):
        v = rnd.choice(FIELDS[k]) if rnd.random() < 0.7 else junk()
        fields.append((k, v if rnd.random() < 0.8 else mutate(v)))
    body = b"&".join(urllib.parse.quote_from_bytes(k).encode() + b"=" +
                     urllib.parse.quote_from_bytes(v).encode() for k, v in fields)
    if rnd.random() < 0.2:
        body = mutate(body)
    exchange(http, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: "
             b"application/x-www-form-urlencoded\r\nContent-Length: " +
             str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)

def alive():
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # a zombie is gone too: the parent (the test) has not reaped it yet
    with open("/proc/%d/stat" % pid) as f:
        return f.read().split(") ")[1][0] != "Z"

kinds = {"lmtp": 0, "http": 0, "form": 0}
for n in range(cases):
    kind = rnd.choice(("lmtp", "lmtp", "http", "form"))
    kinds[kind] += 1
    {"lmtp": lmtp_case, "http": http_case, "form": form_case}[kind]()
    if not alive():
        print("not ok - kith serve is gone after case %d (%s), seed %d" % (n, kind, seed))
        sys.exit(0)
print("ok - kith serve took %d malformed LMTP sessions, %d HTTP requests and "
      "%d forms posted with their CSRF token (seed %d)"
      % (kinds["lmtp"], kinds["http"], kinds["form"], seed))
