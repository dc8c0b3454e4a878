#!/usr/bin/python3
"""Generate mail of awkward shapes for Kith's robustness tests.

  genmail.py SHAPE N [TO]   writes one message to standard output

  deep N      multipart/mixed nested N levels, "hello" in the middle
  wide N      one multipart/mixed with N text parts
  large N     N MB of plain text (76-character lines)
  headers N   N header fields
  longhdr N   one header line of N MB ("a a a ...")

The Message-ID is <SHAPE-N@x>; TO (default team@example.org) is the To.
"""
import sys

kind, n = sys.argv[1], int(sys.argv[2])
to = (sys.argv[3] if len(sys.argv) > 3 else "team@example.org").encode()
out = sys.stdout.buffer
hdr = (b"From: alice@example.org\r\nTo: %s\r\nSubject: %s %d\r\n"
       b"Message-ID: <%s-%d@x>\r\nMIME-Version: 1.0\r\n"
       % (to, kind.encode(), n, kind.encode(), n))
if kind == "deep":
    out.write(hdr)
    for i in range(n):
        out.write(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n'
                  b'--b%d\r\n' % (i, i))
    out.write(b"Content-Type: text/plain\r\n\r\nhello\r\n")
    for i in reversed(range(n)):
        out.write(b"--b%d--\r\n" % i)
elif kind == "wide":
    out.write(hdr + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n')
    for i in range(n):
        out.write(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i)
    out.write(b"--b--\r\n")
elif kind == "large":
    out.write(hdr + b"Content-Type: text/plain\r\n\r\n")
    line = b"x" * 76 + b"\r\n"
    for i in range(n * 1024 * 1024 // 78):
        out.write(line)
elif kind == "headers":
    out.write(hdr)
    for i in range(n):
        out.write(b"X-H%d: value %d\r\n" % (i, i))
    out.write(b"\r\nbody\r\n")
elif kind == "longhdr":
    out.write(hdr + b"X-Long: " + b"a " * (n * 1024 * 1024 // 2) +
              b"\r\n\r\nbody\r\n")
else:
    sys.exit("unknown shape " + kind)
