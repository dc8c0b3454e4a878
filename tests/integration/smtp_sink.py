#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for Kith's integration tests.

Built on Debian's python3-aiosmtpd.  Each accepted message is written to
OUTDIR/NNNNNN.eml (the bytes received) with OUTDIR/NNNNNN.json beside it
({"mail_from": ..., "rcpt_tos": [...]}).  Recipients whose address
contains "defer" get 451, "reject" get 550 (so tests can drive the
delivery engine's temporary and permanent paths) until the test creates
OUTDIR/accept-all.  While OUTDIR/refuse-rcpt exists, every RCPT gets
the reply it holds (a relay refusing to relay, say).  --pipelining adds
PIPELINING to EHLO; --tls CERT KEY offers STARTTLS; --auth USER:PASS
requires AUTH PLAIN/LOGIN (only after TLS); --delay slows each DATA
reply (for killing a delivery half-way); --smtputf8 offers SMTPUTF8.  The chosen port is written
to --port-file once the server listens.
"""
import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, outdir, pipelining, delay):
        self.delay = delay
        self.outdir = outdir
        self.pipelining = pipelining
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refuse = os.path.join(self.outdir, "refuse-rcpt")
        if os.path.exists(refuse):
            return open(refuse).read().strip()
        # A test switches the failures off by creating OUTDIR/accept-all.
        if os.path.exists(os.path.join(self.outdir, "accept-all")):
            pass
        elif "defer" in address:
            return "451 4.3.0 try again later"
        if "reject" in address:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            n = next(self.counter)
        base = os.path.join(self.outdir, "%06d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from,
                       "rcpt_tos": envelope.rcpt_tos,
                       "mail_options": envelope.mail_options,
                       "tls": session.ssl is not None,
                       "auth": session.authenticated}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK queued as %d" % n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--pipelining", action="store_true")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--auth")
    ap.add_argument("--auth-login-only", action="store_true",
                    help="offer AUTH LOGIN but not PLAIN")
    ap.add_argument("--delay", type=float, default=0.0,
                    help="seconds to wait before answering each DATA")
    ap.add_argument("--smtputf8", action="store_true",
                    help="offer SMTPUTF8 (RFC 6531): UTF-8 addresses")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    # aiosmtpd's Controller offers SMTPUTF8 unless told: only when asked
    kwargs = {"enable_SMTPUTF8": args.smtputf8}
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        kwargs["tls_context"] = ctx
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_require_tls=True,
                      auth_required=True)
        if args.auth_login_only:
            kwargs["auth_exclude_mechanism"] = ["PLAIN"]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    free_port = probe.getsockname()[1]
    probe.close()
    ctl = Controller(Sink(args.outdir, args.pipelining, args.delay), hostname="127.0.0.1",
                     port=free_port, decode_data=False, data_size_limit=0,
                     server_hostname="localhost", **kwargs)
    ctl.start()
    port = free_port
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait(600)  # a sink never outlives its test by more than 10 min
    ctl.stop()


if __name__ == "__main__":
    sys.exit(main())
