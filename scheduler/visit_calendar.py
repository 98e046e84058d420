"""A visit as an iCalendar file (.ics) the patient can add to their calendar.

Made with the `icalendar` library: the start and end in the patient's zone
(DTSTART;TZID=... with the zone's VTIMEZONE definition, the form Google
Calendar, Apple Calendar and Outlook all import), the clinic's name and
address as the location, and an alarm two hours before.

A cancelled visit gets a cancelling file (`cancelled=True`): the same UID,
METHOD:CANCEL and STATUS:CANCELLED with a higher SEQUENCE (RFC 5546), which
calendar apps that imported the first file take as "remove this event".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

PRODUCT_ID = "-//Acubot//visit reminders//EN"
VISIT_LENGTH = timedelta(hours=1)
ALARM_BEFORE = timedelta(hours=2)


def visit_calendar(
    *,
    visit_id: int,
    starts_at: datetime,
    zone: str,
    title: str,
    clinic_name: str,
    clinic_address: str | None,
    now: datetime,
    domain: str = "acubot.invalid",
    cancelled: bool = False,
) -> bytes:
    """The .ics bytes of one visit. `title` is the event's summary in the patient's language.

    `cancelled`: the file that takes the visit out of a calendar again.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    calendar.add("x-wr-timezone", zone)
    event = Event()
    event.add("uid", f"visit-{visit_id}@{domain}")
    event.add("dtstamp", now.astimezone(UTC))
    # A visit's time never changes (a new time is a new visit): the cancel is its only update.
    event.add("sequence", 1 if cancelled else 0)
    if cancelled:
        event.add("status", "CANCELLED")
    local = ZoneInfo(zone)
    event.add("dtstart", starts_at.astimezone(local))
    event.add("dtend", (starts_at + VISIT_LENGTH).astimezone(local))
    event.add("summary", title)
    location = ", ".join(part for part in (clinic_name, clinic_address) if part)
    event.add("location", location)
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    calendar.add_component(event)
    # The zone's rules around the visit only: a short file, still exact for its dates.
    calendar.add_missing_timezones(
        first_date=(starts_at - timedelta(days=366)).date(),
        last_date=(starts_at + timedelta(days=366)).date(),
    )
    return calendar.to_ical()
