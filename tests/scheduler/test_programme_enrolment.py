"""Starting, updating and leaving a programme: one transaction, the link claimed once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from handlers.context import AcubotApp
from scheduler import programme_enrolment as pe
from storage import programmes, reminders
from storage.models import ProgrammeEnrolment
from storage.programmes import ALL_WEEKDAYS, ClaimResult, EnrolmentStatus
from storage.users import record_user_seen
from tests.harness import FakeClock
from tests.programme_support import MON_WED_FRI, back_programme, prescribe

TUESDAY_7AM_CHICAGO = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _morning(clock: FakeClock) -> None:
    clock.set(TUESDAY_7AM_CHICAGO)


async def _people(app: AcubotApp, *user_ids: int) -> None:
    async with app.bot_data.sessions.begin() as session:
        for user_id in user_ids:
            await record_user_seen(
                session=session,
                user_id=user_id,
                chat_id=user_id,
                language_code="en",
                now=TUESDAY_7AM_CHICAGO,
            )


async def _start(app: AcubotApp, user_id: int, link_id: int, programme_id: int) -> pe.Started:
    async with app.bot_data.sessions.begin() as session:
        return await pe.start_programme(
            session=session,
            user_id=user_id,
            chat_id=user_id,
            link_id=link_id,
            programme_id=programme_id,
            version=1,
            weekdays=MON_WED_FRI,
            times=(time(19, 30), time(8, 0)),
            zone="America/Chicago",
            now=TUESDAY_7AM_CHICAGO,
        )


async def test_starting_claims_enrols_and_subscribes(app: AcubotApp) -> None:
    await _people(app, 1, 2)
    prescribed = await prescribe(app)
    started = await _start(app, 1, prescribed.link_id, prescribed.programme_id)
    assert started.result is ClaimResult.OK and started.enrolment is not None
    # Tuesday: the first reminder is Wednesday 08:00 CDT.
    assert started.next_due == datetime(2027, 6, 2, 13, 0, tzinfo=UTC)
    assert started.enrolment.times == (time(8, 0), time(19, 30))
    async with app.bot_data.sessions() as session:
        sub = await reminders.get_subscription(session=session, user_id=1)
    assert sub is not None and sub.routine == "programme"
    assert (sub.local_time, sub.second_time, sub.weekdays) == (
        time(8, 0),
        time(19, 30),
        MON_WED_FRI,
    )
    assert sub.enrolment_id == started.enrolment.id
    # The single-use link is now someone's: another patient changes nothing.
    lost = await _start(app, 2, prescribed.link_id, prescribed.programme_id)
    assert lost.result is ClaimResult.USED and lost.enrolment is None
    async with app.bot_data.sessions() as session:
        assert await reminders.get_subscription(session=session, user_id=2) is None
        assert await programmes.active_enrolment(session=session, user_id=2) is None


async def test_a_failure_after_the_claim_rolls_the_claim_back(app: AcubotApp) -> None:
    await _people(app, 1)
    prescribed = await prescribe(app)
    with pytest.raises(ValueError):
        async with app.bot_data.sessions.begin() as session:
            await pe.start_programme(
                session=session,
                user_id=1,
                chat_id=1,
                link_id=prescribed.link_id,
                programme_id=prescribed.programme_id,
                version=1,
                weekdays=0,  # enrol refuses: no weekday
                times=(time(8, 0),),
                zone="America/Chicago",
                now=TUESDAY_7AM_CHICAGO,
            )
    async with app.bot_data.sessions() as session:
        link = await programmes.get_link(session=session, link_id=prescribed.link_id)
        assert link is not None and link.used_by is None
        assert await session.scalar(select(func.count()).select_from(ProgrammeEnrolment)) == 0


async def test_a_link_for_another_programme_or_version_is_refused(app: AcubotApp) -> None:
    await _people(app, 1)
    first = await prescribe(app)
    second = await prescribe(app)
    assert (await _start(app, 1, first.link_id, second.programme_id)).result is ClaimResult.UNKNOWN
    async with app.bot_data.sessions.begin() as session:
        wrong_version = await pe.start_programme(
            session=session,
            user_id=1,
            chat_id=1,
            link_id=second.link_id,
            programme_id=second.programme_id,
            version=5,
            weekdays=ALL_WEEKDAYS,
            times=(time(8, 0),),
            zone="America/Chicago",
            now=TUESDAY_7AM_CHICAGO,
        )
    assert wrong_version.result is ClaimResult.UNKNOWN


async def test_leaving_goes_back_to_the_clinic_routine_every_day(app: AcubotApp) -> None:
    await _people(app, 1)
    prescribed = await prescribe(app)
    started = await _start(app, 1, prescribed.link_id, prescribed.programme_id)
    assert started.enrolment is not None
    async with app.bot_data.sessions.begin() as session:
        assert await pe.leave_programme(
            session=session,
            user_id=1,
            enrolment_id=started.enrolment.id,
            routine="clinic",
            now=TUESDAY_7AM_CHICAGO,
        )
        again = await pe.leave_programme(
            session=session,
            user_id=1,
            enrolment_id=started.enrolment.id,
            routine="clinic",
            now=TUESDAY_7AM_CHICAGO,
        )
        sub = await reminders.get_subscription(session=session, user_id=1)
        enrolments = await programmes.enrolments_of(session=session, user_id=1)
    assert again is False
    assert [e.status for e in enrolments] == [EnrolmentStatus.LEFT]
    assert sub is not None and sub.routine == "clinic" and sub.enrolment_id is None
    assert (sub.local_time, sub.second_time, sub.weekdays) == (time(8, 0), None, ALL_WEEKDAYS)
    # Every day again: today's 08:00 CDT has not come yet.
    assert sub.next_due_at == datetime(2027, 6, 1, 13, 0, tzinfo=UTC)


async def test_leaving_keeps_a_stopped_reminder_stopped(app: AcubotApp) -> None:
    await _people(app, 1)
    prescribed = await prescribe(app)
    started = await _start(app, 1, prescribed.link_id, prescribed.programme_id)
    assert started.enrolment is not None
    async with app.bot_data.sessions.begin() as session:
        await reminders.update_subscription(
            session=session, user_id=1, now=TUESDAY_7AM_CHICAGO, active=False, next_due_at=None
        )
        await pe.leave_programme(
            session=session,
            user_id=1,
            enrolment_id=started.enrolment.id,
            routine="clinic",
            now=TUESDAY_7AM_CHICAGO + timedelta(minutes=1),
        )
        sub = await reminders.get_subscription(session=session, user_id=1)
    assert sub is not None and not sub.active and sub.routine == "clinic"
    assert sub.next_due_at is None


async def test_an_update_with_other_days_keeps_the_start_date(
    app: AcubotApp, clock: FakeClock
) -> None:
    await _people(app, 1)
    prescribed = await prescribe(app)
    started = await _start(app, 1, prescribed.link_id, prescribed.programme_id)
    assert started.enrolment is not None
    clock.advance(days=9)
    async with app.bot_data.sessions.begin() as session:
        await programmes.save_new_version(
            session=session,
            programme_id=prescribed.programme_id,
            spec=back_programme(weekdays=0b11),
            now=clock.current,
        )
        updated = await pe.update_programme(
            session=session,
            user_id=1,
            chat_id=1,
            enrolment_id=started.enrolment.id,
            version=2,
            weekdays=0b11,
            times=(time(9, 0),),
            zone="America/Chicago",
            now=clock.current,
        )
        stale = await pe.update_programme(
            session=session,
            user_id=1,
            chat_id=1,
            enrolment_id=started.enrolment.id,  # no longer the active one
            version=2,
            weekdays=0b11,
            times=(time(9, 0),),
            zone="America/Chicago",
            now=clock.current,
        )
    assert updated.result is ClaimResult.OK and updated.enrolment is not None
    assert updated.enrolment.start_date == started.enrolment.start_date
    assert updated.enrolment.version == 2 and updated.enrolment.link_id == prescribed.link_id
    assert stale.result is ClaimResult.UNKNOWN
