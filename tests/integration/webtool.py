"""webtool - what the kith serve tests share: HTTP requests to the server
under test (http.client, nothing else), checks printed as "ok - ..." /
"not ok - ..." lines for lib.sh to count, the database and the mail the
SMTP sink received.

The environment says where things are: KITH_PORT (the server),
KITH_DB (the sqlite database), or KITH_TEST_DB_DSN (lib.sh sets it when
the suite runs on PostgreSQL: KITH_TEST_BACKEND=postgresql), SINK_DIR
(the sink's .eml files).
"""
import email
import email.policy
import glob
import html
import json
import http.client
import os
import re
import sqlite3
import urllib.parse

PORT = int(os.environ.get("KITH_PORT") or "0")
DB = os.environ.get("KITH_DB", "")
PG_DSN = os.environ.get("KITH_TEST_DB_DSN", "")
SINK = os.environ.get("SINK_DIR", "")

SECURITY = {
    "content-security-policy": "default-src 'none'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what, flush=True)
    return cond


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def field(self, name):
        """The value of hidden input name in the page (first one)."""
        m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), self.text)
        return html.unescape(m.group(1)) if m else None

    def main(self):
        m = re.search(r"<main>(.*)</main>", self.text, re.S)
        return m.group(1) if m else self.text


def request(method, path, body=None, headers=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return Resp(r.status, r.getheaders(), data)


def get(path, **kw):
    return request("GET", path, **kw)


def post_form(path, fields, **kw):
    body = urllib.parse.urlencode(fields).encode()
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(kw.pop("headers", {}))
    return request("POST", path, body=body, headers=h, **kw)


def post_multipart(path, fields, boundary="----kithtestboundary7MA4YWxk"):
    parts = []
    for k, v in fields:
        parts.append("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n"
                     "\r\n%s\r\n" % (boundary, k, v))
    body = ("".join(parts) + "--%s--\r\n" % boundary).encode()
    return request("POST", path, body=body, headers={
        "Content-Type": "multipart/form-data; boundary=%s" % boundary})


def secure_headers(r):
    return all(r.headers.get(k) == v for k, v in SECURITY.items())


def db(sql, *args):
    """The rows of sql (? for each of args) as tuples, on the site's
    database: sqlite or PostgreSQL (bytea as bytes, as sqlite gives BLOBs)."""
    if PG_DSN:
        import psycopg2
        con = psycopg2.connect(PG_DSN)
        try:
            con.autocommit = True
            cur = con.cursor()
            cur.execute(sql.replace("%", "%%").replace("?", "%s"), args)
            rows = cur.fetchall() if cur.description else []
            return [tuple(bytes(v) if isinstance(v, memoryview) else v
                          for v in r) for r in rows]
        finally:
            con.close()
    con = sqlite3.connect(DB, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class WriteLock:
    """Another process's hold on the site database's write lock, as
    kith's writers take it: sqlite's BEGIN IMMEDIATE, or PostgreSQL's
    advisory lock 0x6b697468 (src/db_pg.c) in an open transaction."""

    def __init__(self):
        if PG_DSN:
            import psycopg2
            self.con = psycopg2.connect(PG_DSN)
            self.con.cursor().execute("SELECT pg_advisory_xact_lock(%s)",
                                      (0x6b697468,))
        else:
            self.con = sqlite3.connect(DB, timeout=1, isolation_level=None)
            self.con.execute("BEGIN IMMEDIATE")

    def release(self):
        self.con.rollback()
        self.con.close()


def one(sql, *args):
    rows = db(sql, *args)
    return rows[0][0] if rows else None


def is_member(address, list_local="team"):
    return one("SELECT count(*) FROM members m JOIN lists l ON l.id=m.list_id "
               "WHERE l.local=? AND m.address=?", list_local, address) == 1


def mails_to(address):
    """The messages the sink received for address, oldest first."""
    out = []
    for js in sorted(glob.glob(os.path.join(SINK, "*.json"))):
        with open(js) as f:
            if address not in json.load(f)["rcpt_tos"]:
                continue
        with open(js[:-5] + ".eml", "rb") as f:
            out.append(email.message_from_binary_file(
                f, policy=email.policy.default))
    return out


def text_of(m):
    part = m.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def html_of(m):
    part = m.get_body(preferencelist=("html",))
    return part.get_content() if part else ""


def unsubscribe_url(m):
    """The https URL of a copy's List-Unsubscribe."""
    v = str(m.get("List-Unsubscribe", ""))
    found = re.search(r"<(https://[^>]+)>", v)
    return found.group(1) if found else None


def unsub_path(address):
    """The /u/ path of the newest mail to address that carries one."""
    for m in reversed(mails_to(address)):
        url = unsubscribe_url(m)
        if url:
            return path_of(url)
    return None


def path_of(url, base="https://lists.example.org/kith"):
    """The path kith serve sees for a URL under web_base_url."""
    return url[len(base):] if url and url.startswith(base) else url
