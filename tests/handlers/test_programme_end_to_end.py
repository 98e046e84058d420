"""One home programme from start to finish, through the real Application.

A staff member writes it with /prescribe and gets its link; a patient opens
the link, chooses 8:00 and starts; the dispatcher sends reminders on Monday,
Wednesday and Friday only, at 8:00 local time on both sides of the spring
clock change; the reminder's guided routine uses the programme's points and
holds; ✅ Done marks days; after the course the patient gets one summary and
the reminders stop.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.local_api import InProcessBotAPI
from handlers.context import AcubotApp
from storage.programmes import EnrolmentStatus, weekday_mask
from storage.reminders import StopReason
from tests.conftest import ADMIN_ID
from tests.harness import FakeClock, Patient, only_shown, only_text, texts
from tests.programme_support import all_enrolments, enrolment_of
from tests.reminders_support import dispatch, subscription_of

CHICAGO = ZoneInfo("America/Chicago")
# Wednesday 3 March 2027, noon in Chicago (CST, UTC-6). Clocks spring forward
# on Sunday 14 March (CDT, UTC-5), in the middle of the two-week course.
WEDNESDAY_NOON = datetime(2027, 3, 3, 18, 0, tzinfo=UTC)
LINK = re.compile(r"https://t\.me/acubot_offline_bot\?start=(p[A-Za-z0-9_-]+)")


async def _prescribe(staff: Patient) -> str:
    """The staff flow, by buttons and typed answers; returns the code in the link."""
    await staff.send("/prescribe")
    await staff.send("Spring back care")
    await staff.send("BL23 KI3")
    await staff.press("Done")
    await staff.press("90 s")  # BL23's hold
    await staff.send("Warm your hands first.")  # BL23's note
    await staff.send("45")  # KI3's hold, typed
    await staff.press("Skip: no note")
    await staff.press("On chosen weekdays")
    for day in ("Mon", "Wed", "Fri"):
        await staff.press(day)
    await staff.press("✅ Done")
    await staff.press("Once a day")
    await staff.press("2 weeks")
    await staff.send("Little and often.")
    await staff.send("Dr. Lin")
    await staff.press("One patient")
    confirmed = await staff.press("Confirm")
    (caption,) = [call.text for call in confirmed if call.method == "sendPhoto"]
    link = LINK.search(caption)
    assert link is not None
    return link.group(1)


async def test_prescribed_programme_from_link_to_course_end_across_dst(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock, patient: Patient
) -> None:
    clock.set(WEDNESDAY_NOON)
    staff = Patient(app, api, user_id=ADMIN_ID)
    code = await _prescribe(staff)

    card, question = texts(await patient.send(f"/start {code}"))
    assert "Spring back care" in card and "Dr. Lin" in card and "Little and often." in card
    assert "hold 90 seconds" in card and "hold 45 seconds" in card
    assert "What time should I remind you?" in question
    await patient.press("8:00")
    started = only_shown(await patient.press("Start the programme"))
    assert "You have started “Spring back care”" in started
    enrolment = await enrolment_of(app, 1)
    assert enrolment is not None and enrolment.weekdays == weekday_mask([0, 2, 4])

    # Tick at each due time, as the repeating job would, until the reminders stop.
    reminders: list[datetime] = []
    for _ in range(20):
        sub = await subscription_of(app, 1)
        assert sub is not None
        if sub.next_due_at is None:
            break
        clock.set(sub.next_due_at + timedelta(seconds=5))
        before = len(api.sent(1))
        await dispatch(app)
        (sent,) = api.sent(1)[before:]
        if "You have finished" in sent.text:
            summary = sent
            continue
        assert "Spring back care" in sent.text
        reminders.append(sub.next_due_at)
        day = sub.next_due_at.astimezone(CHICAGO).date()
        if day == date(2027, 3, 15):
            # The first reminder after the clock change: the guided routine
            # from its ▶ button walks the programme's points with their holds.
            intro, first = texts(await patient.press("Start guided routine"))
            assert "Spring back care" in intro
            assert "Step 1 of 2" in first and "BL23" in first
            assert "Hold for 90 seconds" in first and "Warm your hands first." in first
            second = only_text(await patient.press("Next: step 2"))
            assert "Step 2 of 2 · Ankle press (KI3)" in second and "Hold for 45 seconds" in second
            assert "Routine complete" in texts(await patient.press("Finish"))[0]
        elif day != date(2027, 3, 10):  # Wednesday 10 March is left undone
            await patient.press("✅ Done")
    else:
        raise AssertionError("the reminders never stopped")

    local = [instant.astimezone(CHICAGO) for instant in reminders]
    # Monday, Wednesday and Friday only (today's 8:00 had passed), to the course's last day.
    assert [moment.date() for moment in local] == [
        date(2027, 3, 5),
        date(2027, 3, 8),
        date(2027, 3, 10),
        date(2027, 3, 12),
        date(2027, 3, 15),
    ]
    # 8:00 local every time: 14:00 UTC in CST, 13:00 UTC in CDT.
    assert {(moment.hour, moment.minute) for moment in local} == {(8, 0)}
    assert [instant.hour for instant in reminders] == [14, 14, 14, 14, 13]

    # The course's end: one summary on the first planned day after it, with the
    # days practised out of those planned, the booking button, and no more reminders.
    assert clock().astimezone(CHICAGO).date() == date(2027, 3, 17)
    assert "You have finished Spring back care" in summary.text
    assert "You practised on 4 of the 6 planned days." in summary.text
    assert [b["text"] for b in summary.buttons] == [
        "🔔 Keep my reminders",
        "📅 Book an appointment",
    ]
    sub = await subscription_of(app, 1)
    assert sub is not None
    assert (sub.active, sub.stopped_reason, sub.next_due_at) == (
        False,
        StopReason.COURSE_END,
        None,
    )
    assert [e.status for e in await all_enrolments(app, 1)] == [EnrolmentStatus.FINISHED]
    assert "not following a home programme" in only_text(await patient.send("/programme"))
    clock.advance(days=7)
    before = len(api.sent(1))
    assert (await dispatch(app)).total == 0
    assert len(api.sent(1)) == before
