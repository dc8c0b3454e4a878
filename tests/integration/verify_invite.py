#!/usr/bin/python3
"""Check an invitation (or cancellation) mail as a calendar client would.

usage: verify_invite.py FILE ATTENDEE [key=value ...]

Checks with Python's email package and python3-icalendar:
  - MIME shape: multipart/mixed [ multipart/alternative [ text/plain,
    text/html, text/calendar; method=M; charset=UTF-8 ], application/ics
    invite.ics ], the two calendars identical
  - the calendar: PRODID, VERSION:2.0, METHOD M, a VTIMEZONE for the
    event's TZID, one VEVENT with UID, SEQUENCE, DTSTAMP, DTSTART/DTEND
    with TZID, SUMMARY, ORGANIZER mailto:LIST-events+TOKEN@ (the member's
    own answer address, the same as the mail's Reply-To), and one ATTENDEE:
    ATTENDEE with ROLE=REQ-PARTICIPANT, PARTSTAT=NEEDS-ACTION (RSVP=TRUE
    for a REQUEST)
  - folding: no line longer than 75 octets, every line valid UTF-8
  - key=value pairs compare fields: method, summary, description,
    location, sequence, rrule, tzid, start (local "YYYY-MM-DD HH:MM"),
    end, status, recurrence-id (local), exdate (local, one of them),
    organizer (the address)
Prints "ok UID" or "FAIL why" (exit 1).
"""
import email
import email.policy
import re
import sys

import icalendar


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def local(v):
    return v.dt.strftime("%Y-%m-%d %H:%M")


def main():
    path, attendee = sys.argv[1], sys.argv[2].lower()
    want = dict(a.split("=", 1) for a in sys.argv[3:])
    msg = email.message_from_binary_file(open(path, "rb"),
                                         policy=email.policy.default)
    if msg.get_content_type() != "multipart/mixed":
        fail("top is " + msg.get_content_type())
    parts = list(msg.iter_parts())
    if len(parts) != 2 or parts[0].get_content_type() != "multipart/alternative":
        fail("not [alternative, attachment]")
    alt = [p.get_content_type() for p in parts[0].iter_parts()]
    if alt != ["text/plain", "text/html", "text/calendar"]:
        fail(f"alternative parts {alt}")
    calpart = list(parts[0].iter_parts())[2]
    method = calpart.get_param("method")
    if calpart.get_param("charset").lower() != "utf-8":
        fail("text/calendar without charset=UTF-8")
    att = parts[1]
    if att.get_content_type() != "application/ics" or \
            att.get_filename() != "invite.ics":
        fail("attachment is not invite.ics")
    raw = calpart.get_payload(decode=True)
    if raw != att.get_payload(decode=True):
        fail("the attached calendar differs from the inline one")
    for line in raw.split(b"\r\n"):
        if len(line) > 75:
            fail(f"line of {len(line)} octets: {line[:40]!r}")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            fail(f"a fold split a UTF-8 character: {line!r}")
    cal = icalendar.Calendar.from_ical(raw)
    if str(cal.get("METHOD")) != method:
        fail(f"METHOD {cal.get('METHOD')} != Content-Type method {method}")
    if str(cal.get("VERSION")) != "2.0" or not cal.get("PRODID"):
        fail("VERSION/PRODID")
    evs = cal.walk("VEVENT")
    if len(evs) != 1:
        fail(f"{len(evs)} VEVENTs")
    ev = evs[0]
    for k in ("UID", "SEQUENCE", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY",
              "ORGANIZER"):
        if k not in ev:
            fail(f"VEVENT without {k}")
    tzid = ev["DTSTART"].params.get("TZID")
    if not tzid or ev["DTEND"].params.get("TZID") != tzid:
        fail("DTSTART/DTEND without TZID")
    if tzid not in [str(z["TZID"]) for z in cal.walk("VTIMEZONE")]:
        fail(f"no VTIMEZONE for {tzid}")
    org = str(ev["ORGANIZER"])
    reply_to = msg["Reply-To"].addresses[0].addr_spec if msg["Reply-To"] else ""
    if not org.lower().startswith("mailto:") or \
            not re.fullmatch(r"[a-z0-9.-]+-events\+[a-z0-9.]+-[0-9a-z]+-[a-z2-7]{16}@[a-z0-9.-]+",
                             org[7:]):
        fail("ORGANIZER " + org + " is not a per-member -events+TOKEN@ address")
    if org[7:] != reply_to:
        fail(f"ORGANIZER {org} is not the Reply-To {reply_to!r}")
    atts = ev.get("ATTENDEE")
    atts = atts if isinstance(atts, list) else [atts]
    if len(atts) != 1 or str(atts[0]).lower() != "mailto:" + attendee:
        fail(f"ATTENDEE {atts}")
    p = atts[0].params
    if p.get("ROLE") != "REQ-PARTICIPANT" or p.get("PARTSTAT") != "NEEDS-ACTION":
        fail(f"ATTENDEE params {dict(p)}")
    if method == "REQUEST" and p.get("RSVP") != "TRUE":
        fail("REQUEST without RSVP=TRUE")
    got = {
        "method": method, "summary": str(ev["SUMMARY"]),
        "description": str(ev.get("DESCRIPTION", "")),
        "location": str(ev.get("LOCATION", "")),
        "sequence": str(ev["SEQUENCE"]), "tzid": tzid,
        "rrule": ev["RRULE"].to_ical().decode() if "RRULE" in ev else "",
        "start": local(ev["DTSTART"]), "end": local(ev["DTEND"]),
        "status": str(ev.get("STATUS", "")),
        "recurrence-id": local(ev["RECURRENCE-ID"]) if "RECURRENCE-ID" in ev else "",
        "organizer": org[7:],
    }
    exdates = []
    ex = ev.get("EXDATE")
    for e in (ex if isinstance(ex, list) else [ex] if ex else []):
        exdates += [d.dt.strftime("%Y-%m-%d %H:%M") for d in e.dts]
    for k, v in want.items():
        if k == "exdate":
            if v not in exdates:
                fail(f"EXDATE {v} not in {exdates}")
        elif got.get(k) != v.replace("\\n", "\n"):
            fail(f"{k}: got {got.get(k)!r}, want {v!r}")
    print("ok " + str(ev["UID"]))


main()
