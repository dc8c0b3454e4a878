#!/bin/sh
# kith serve's LMTP side serves every session from one thread (an epoll
# loop, lmtp_server.c) instead of a thread a session.  What a thread
# each gave for free, the loop must keep: a client that stalls in the
# middle of its data, or that sends and never reads, holds up nobody
# else and costs no CPU while it waits; input sent past the end of a
# message waits for that message's answer; a client that leaves while
# its message is being committed leaves it stored; a message too large
# to parse on the loop is parsed on a helper and stored whole; a client
# that shuts down its side is answered and let go.
. "${KITH_SRCDIR:-.}/tests/integration/lib.sh"
. "$HERE/serve_lib.sh"

start_sink
setup_list
kith list set team posting anyone >/dev/null

serve_at "$NOW" --listen 127.0.0.1:0 --lmtp 127.0.0.1:0
i=0
while ! grep -q "LMTP on" "$T/serve.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
LMTP_PORT=$(sed -n 's|.*LMTP on lmtp://127.0.0.1:\([0-9]*\).*|\1|p' "$T/serve.out")
export SERVE_PID

# Each scenario prints "NAME VALUE" lines; the checks below read them.
$PY - "$LMTP_PORT" > "$T/loop.out" 2> "$T/loop.err" <<'PYEOF'
import os, socket, sys, threading, time
port = int(sys.argv[1])
HZ = os.sysconf("SC_CLK_TCK")

def cpu_s():
    with open("/proc/%s/stat" % os.environ["SERVE_PID"]) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ

class Client:
    def __init__(self, small=False):
        self.s = socket.socket()
        if small:       # the kernel's buffers small: a block comes soon
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        self.s.connect(("127.0.0.1", port))
        self.s.settimeout(60)
        self.f = self.s.makefile("rb")
        self.reply()                     # the greeting
    def reply(self):
        """one reply's code (the last line's)"""
        while True:
            try:
                line = self.f.readline()
            except OSError:     # a timeout: no reply
                return 0
            if not line:
                return 0
            if line[3:4] != b"-":
                return int(line[:3])
    def cmd(self, line):
        self.s.sendall(line.encode() + b"\r\n")
        return self.reply()
    def start(self, sender="ann@example.org"):
        assert self.cmd("LHLO loop.test") == 250
        assert self.cmd("MAIL FROM:<%s>" % sender) == 250
        assert self.cmd("RCPT TO:<team@example.org>") == 250
        assert self.cmd("DATA") == 354

def message(mid, body="Hello.\r\n"):
    return ("From: ann <ann@example.org>\r\nTo: team@example.org\r\n"
            "Subject: %s\r\nMessage-ID: <%s>\r\n\r\n%s" % (mid, mid, body)
            ).encode()

def post(mid):
    """a whole session for one post: (code, ms from the data's end)"""
    c = Client()
    c.start()
    c.s.sendall(message(mid) + b".\r\n")
    t0 = time.monotonic()
    code = c.reply()
    ms = int((time.monotonic() - t0) * 1000)
    c.cmd("QUIT")
    return code, ms

def rss_kb():
    with open("/proc/%s/status" % os.environ["SERVE_PID"]) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def report(name, value):
    print(name, value, flush=True)

# 1. A client stalls in the middle of its data for 2 s: five posts from
# others meanwhile are answered at once, and the staller's, once it ends.
a = Client()
a.start()
a.s.sendall(message("stall@loop.test")[:60])
c0, t0 = cpu_s(), time.monotonic()
times = [post("beside-stall-%d@loop.test" % i) for i in range(5)]
time.sleep(max(0, 2 - (time.monotonic() - t0)))
report("stall_cpu_ms", int((cpu_s() - c0) * 1000))
report("stall_others", " ".join("%d/%d" % t for t in times))
a.s.sendall(message("stall@loop.test")[60:] + b".\r\n")
report("stall_code", a.reply())
a.cmd("QUIT")

# 2. A client sends 1,000,000 NOOPs and reads nothing (its receive buffer
# small): its replies back up, kith serve stops reading it, and its
# sending blocks (what kith serve holds does not grow).  Meanwhile others post; kith serve does not spin;
# then the client reads, and every NOOP has its reply.
N = int(os.environ.get("NOOPS", "1000000"))
b = Client(small=True)
assert b.cmd("LHLO loop.test") == 250
r0 = rss_kb()
sender = threading.Thread(target=lambda: b.s.sendall(b"NOOP\r\n" * N))
sender.start()
time.sleep(1)
report("noread_rss_kb", rss_kb() - r0)
c0 = cpu_s()
times = [post("beside-noread-%d@loop.test" % i) for i in range(3)]
time.sleep(1.5)
report("noread_cpu_ms", int((cpu_s() - c0) * 1000))
report("noread_others", " ".join("%d/%d" % t for t in times))
got = sum(1 for _ in range(N) if b.reply() == 250)
sender.join()
report("noread_replies", got)
report("noread_then", b.cmd("QUIT"))

# 3. Input sent past the end of a message (the next transaction, before
# the first is answered) waits for that answer, then is read.
c = Client()
c.start()
c.s.sendall(message("pipe-1@loop.test") + b".\r\n"
            b"MAIL FROM:<ann@example.org>\r\nRCPT TO:<team@example.org>\r\n"
            b"DATA\r\n")
codes = [c.reply() for _ in range(4)]
c.s.sendall(message("pipe-2@loop.test") + b".\r\nQUIT\r\n")
codes += [c.reply(), c.reply()]
report("pipelined", " ".join(map(str, codes)))

# 4. Twenty clients send a whole message and leave without waiting for
# the answer: each message is stored (the answer goes nowhere), and
# kith serve still answers the next client.
for i in range(20):
    d = Client()
    d.start()
    d.s.sendall(message("gone-%d@loop.test" % i) + b".\r\n")
    d.s.close()
time.sleep(1)
report("after_gone", post("after-gone@loop.test")[0])

# 5. A message of 400 KB (parsed on a helper thread, not the loop's):
# stored whole.
body = "".join("%06d %s\r\n" % (i, "x" * 70) for i in range(5300))
body += "the last line of the big one\r\n"
e = Client()
e.start()
e.s.sendall(message("big@loop.test", body) + b".\r\n")
report("big_code", e.reply())
# (stored with its lines ended by LF, as kith receive stores it)
report("big_lf", len(message("big@loop.test", body).replace(b"\r\n", b"\n")))
e.cmd("QUIT")

# 6. A client sends its commands and half a message in one write and
# shuts down its side: it is answered what it was (LHLO, MAIL, RCPT,
# DATA) and the connection ends at once (the end came with the data's
# edge; the loop waited for another, until the idle timeout).
def half_closed(data):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    t0 = time.monotonic()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    s.close()
    codes = [l[:3].decode() for l in got.split(b"\r\n") if l[3:4] == b" "]
    return " ".join(codes), int((time.monotonic() - t0) * 1000)
codes, ms = half_closed(b"LHLO x\r\nMAIL FROM:<ann@example.org>\r\n"
    b"RCPT TO:<team@example.org>\r\nDATA\r\n" + message("half@loop.test")[:50])
report("half_codes", codes)
report("half_ms", ms)
PYEOF
cat "$T/loop.err" >&2
val() { sed -n "s/^$1 //p" "$T/loop.out"; }
post_count() { db "SELECT count(*) FROM posts WHERE message_id LIKE '$1'"; }

# 1
assert_ok '[ "$(val stall_code)" = 250 ] && [ "$(post_count stall@loop.test)" = 1 ]' "a client that stalls 2 s in its data is answered 250 when it ends, and its post stored"
assert_ok 'echo "$(val stall_others)" | awk "{ for (i = 1; i <= NF; i++) { split(\$i, a, \"/\"); if (a[1] != 250 || a[2] >= 1000) exit 1 } exit NF != 5 }"' "meanwhile five posts from others are each answered 250 within a second (code/ms): $(val stall_others)"
assert_ok '[ "$(val stall_cpu_ms)" -lt 1000 ]' "and kith serve does not spin while it waits (CPU over those 2 s: $(val stall_cpu_ms) ms)"
# 2
assert_ok 'echo "$(val noread_others)" | awk "{ for (i = 1; i <= NF; i++) { split(\$i, a, \"/\"); if (a[1] != 250 || a[2] >= 1000) exit 1 } exit NF != 3 }"' "a client that sends 1,000,000 NOOPs and reads nothing holds up nobody: three posts meanwhile answered 250 at once (code/ms): $(val noread_others)"
assert_ok '[ "$(val noread_rss_kb)" -lt 2048 ]' "kith serve stops reading it while its replies are unread: what it holds grows by $(val noread_rss_kb) KB (its 1,000,000 replies would be 14.3 MB)"
assert_ok '[ "$(val noread_cpu_ms)" -lt 1000 ]' "kith serve does not spin on it (CPU over 1.5 s: $(val noread_cpu_ms) ms)"
assert_ok '[ "$(val noread_replies)" = 1000000 ] && [ "$(val noread_then)" = 221 ]' "once it reads, every NOOP has its 250 ($(val noread_replies)) and QUIT its 221"
# 3
assert_ok '[ "$(val pipelined)" = "250 250 250 354 250 221" ]' "the next transaction sent before a message's answer is read after it: $(val pipelined)"
assert_ok '[ "$(post_count "pipe-_@loop.test")" = 2 ]' "both posts stored"
# 4
assert_ok '[ "$(post_count "gone-%@loop.test")" = 20 ] && [ "$(val after_gone)" = 250 ]' "twenty clients that leave before their answer leave their posts stored ($(post_count "gone-%@loop.test") of 20), and the next client is answered 250"
# 5
assert_ok '[ "$(val big_code)" = 250 ] && [ "$(db "SELECT length(raw) FROM posts WHERE message_id = '"'"'big@loop.test'"'"'")" = "$(val big_lf)" ]' "a 400 KB post is answered 250 and stored whole ($(val big_lf) bytes, its lines ended by LF)"
# 6
assert_ok '[ "$(val half_codes)" = "220 250 250 250 354" ] && [ "$(val half_ms)" -lt 2000 ] && [ "$(post_count half@loop.test)" = 0 ]' "a client that sends half a message and shuts its side is answered (220 250 250 250 354: $(val half_codes)) and let go at once ($(val half_ms) ms); nothing is stored"
assert_ok 'kill -0 "$SERVE_PID"' "kith serve is still running"
serve_stop
assert_ok '! grep -q -i "sanitizer\|segv\|abort" "$T/serve.err"' "and stops cleanly"
finish
