#!/usr/bin/python3
"""Write the iMIP REPLY a calendar app sends when a member answers.

usage: make_reply.py INVITATION ATTENDEE PARTSTAT [options] > reply.eml
  --sequence N       SEQUENCE of the reply (default: the invitation's)
  --dtstamp UTC      DTSTAMP as 20261201T120000Z (default: --now)
  --now TIME         when the member answers, UTC "YYYY-MM-DD HH:MM:SS"
                     (the test's clock; one of --now, --dtstamp is needed)
  --from ADDR        From header (default: ATTENDEE)
  --to ADDR          To header (default: the invitation's ORGANIZER, which
                     is where calendar apps send the answer)
  --no-organizer     leave ORGANIZER out (as Exchange does)
  --recurrence L     RECURRENCE-ID: local "YYYY-MM-DD HH:MM" in the event's zone
  --ics-only         the calendar as an .ics attachment, not text/calendar
  --uid UID          answer another UID

Built with python3-icalendar, shaped like Google Calendar's replies
(multipart/alternative: text/plain and text/calendar; method=REPLY).
"""
import argparse
import datetime
import email
import email.policy
import sys
from email.message import EmailMessage

import icalendar


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("invitation")
    ap.add_argument("attendee")
    ap.add_argument("partstat")
    ap.add_argument("--sequence", type=int)
    ap.add_argument("--dtstamp")
    ap.add_argument("--now")
    ap.add_argument("--from", dest="sender")
    ap.add_argument("--to")
    ap.add_argument("--no-organizer", action="store_true")
    ap.add_argument("--recurrence")
    ap.add_argument("--ics-only", action="store_true")
    ap.add_argument("--uid")
    a = ap.parse_args()
    if not a.dtstamp and not a.now:
        ap.error("--dtstamp or --now is needed (never the machine's date)")
    inv = email.message_from_binary_file(open(a.invitation, "rb"),
                                         policy=email.policy.default)
    raw = next(p for p in inv.walk() if p.get_content_type() == "text/calendar")
    icalin = icalendar.Calendar.from_ical(raw.get_payload(decode=True))
    evin = icalin.walk("VEVENT")[0]
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Google Inc//Google Calendar 70.9054//EN")
    cal.add("version", "2.0")
    cal.add("method", "REPLY")
    ev = icalendar.Event()
    ev.add("uid", a.uid or str(evin["UID"]))
    ev.add("sequence", a.sequence if a.sequence is not None else int(evin["SEQUENCE"]))
    if a.dtstamp:
        ev.add("dtstamp", datetime.datetime.strptime(a.dtstamp, "%Y%m%dT%H%M%SZ")
               .replace(tzinfo=datetime.timezone.utc))
    else:
        ev.add("dtstamp", datetime.datetime.strptime(a.now, "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=datetime.timezone.utc))
    ev.add("dtstart", evin["DTSTART"].dt)
    ev.add("summary", str(evin["SUMMARY"]))
    if a.recurrence:
        tz = evin["DTSTART"].dt.tzinfo
        ev.add("recurrence-id", datetime.datetime.strptime(
            a.recurrence, "%Y-%m-%d %H:%M").replace(tzinfo=tz))
    if not a.no_organizer:
        ev.add("organizer", evin["ORGANIZER"])
    att = icalendar.vCalAddress("mailto:" + a.attendee)
    att.params["PARTSTAT"] = a.partstat
    att.params["CN"] = a.attendee.split("@")[0]
    ev.add("attendee", att)
    cal.add_component(ev)
    ics = cal.to_ical()
    m = EmailMessage()
    m["From"] = a.sender or a.attendee
    m["To"] = a.to or str(evin["ORGANIZER"])[7:]
    m["Subject"] = f"{a.partstat.title()}: {evin['SUMMARY']}"
    m["Message-ID"] = email.utils.make_msgid()
    if a.ics_only:
        m.set_content(f"{a.attendee} has answered {a.partstat}.\n")
        m.add_attachment(ics, maintype="application", subtype="ics",
                         filename="invite.ics")
    else:
        m.set_content(f"{a.attendee} has answered {a.partstat}.\n")
        m.add_alternative(ics.decode(), subtype="calendar",
                          params={"method": "REPLY"})
    sys.stdout.buffer.write(m.as_bytes(policy=email.policy.SMTP))


main()
