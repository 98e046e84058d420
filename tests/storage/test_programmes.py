"""Programmes in the database: versions, links claimed once, one active enrolment."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from handlers.context import AcubotApp
from storage import programmes as p
from storage.models import ProgrammeEnrolment
from storage.users import record_user_seen

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def spec(**changes: object) -> p.ProgrammeSpec:
    values: dict[str, object] = {
        "title": "Lower back, weeks 1-6",
        "practitioner_name": "Dr Lin",
        "steps": (p.ProgrammeStep("BL23", 60, "Warm hands first."), p.ProgrammeStep("KI3", 45)),
        "schedule": p.Schedule.WEEKDAYS,
        "weekdays": p.weekday_mask([0, 2, 4]),
        "course_weeks": 6,
        "note": "Gently, every Monday, Wednesday and Friday.",
    }
    values.update(changes)
    return p.ProgrammeSpec(**values)  # type: ignore[arg-type]


async def _user(app: AcubotApp, user_id: int) -> None:
    async with app.bot_data.sessions.begin() as session:
        await record_user_seen(
            session=session, user_id=user_id, chat_id=user_id, language_code=None, now=NOW
        )


def test_weekday_masks_round_trip() -> None:
    assert p.weekday_mask([0, 2, 4]) == 0b10101
    assert p.weekdays_of(0b10101) == (0, 2, 4)
    assert p.weekdays_of(p.ALL_WEEKDAYS) == tuple(range(7))
    with pytest.raises(ValueError):
        p.weekday_mask([7])


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"steps": ()}, "1-12 points"),
        ({"steps": (p.ProgrammeStep("BL23", 9),)}, "10-180 s"),
        ({"steps": (p.ProgrammeStep("BL23", 181),)}, "10-180 s"),
        ({"steps": (p.ProgrammeStep("BL23", 60), p.ProgrammeStep("BL23", 30))}, "twice"),
        ({"weekdays": 0}, "weekday"),
        ({"schedule": p.Schedule.PER_WEEK, "days_per_week": 0}, "1-7"),
        ({"times_per_day": 3}, "one or two"),
        ({"course_weeks": 27}, "1-26"),
        ({"course_weeks": 0}, "1-26"),
        ({"title": " "}, "title"),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_bad_specs_are_named(changes: dict[str, object], problem: str) -> None:
    found = spec(**changes).problems()
    assert any(problem in line for line in found), found


def test_weekly_goal() -> None:
    assert spec().weekly_goal == 3
    assert spec(schedule=p.Schedule.DAILY).weekly_goal == 7
    assert spec(schedule=p.Schedule.PER_WEEK, days_per_week=4).weekly_goal == 4


async def test_versions_are_kept_and_the_list_counts_patients(app: AcubotApp) -> None:
    await _user(app, 10)
    async with app.bot_data.sessions.begin() as session:
        with pytest.raises(ValueError, match="10-180"):
            await p.create_programme(
                session=session,
                spec=spec(steps=(p.ProgrammeStep("BL23", 5),)),
                created_by=1,
                now=NOW,
            )
    async with app.bot_data.sessions.begin() as session:
        programme_id = await p.create_programme(session=session, spec=spec(), created_by=1, now=NOW)
        await p.enrol(
            session=session,
            user_id=10,
            programme_id=programme_id,
            version=1,
            link_id=None,
            start_date=date(2026, 3, 2),
            weekdays=p.weekday_mask([0, 2, 4]),
            times=[time(19, 30), time(8, 0)],
            now=NOW,
        )
        edited = spec(steps=(p.ProgrammeStep("GB30", 90),), course_weeks=None)
        assert (
            await p.save_new_version(
                session=session, programme_id=programme_id, spec=edited, now=NOW
            )
            == 2
        )
    async with app.bot_data.sessions() as session:
        first = await p.get_version(session=session, programme_id=programme_id, version=1)
        current = await p.get_version(session=session, programme_id=programme_id)
        enrolment = await p.active_enrolment(session=session, user_id=10)
        listed = await p.list_programmes(session=session)
    assert first is not None and current is not None and enrolment is not None
    assert first.spec == spec() and first.current_version == 2
    assert current.version == 2 and current.spec.steps == (p.ProgrammeStep("GB30", 90),)
    assert current.spec.course_weeks is None
    assert enrolment.version == 1  # keeps theirs until they accept the update
    assert enrolment.times == (time(8, 0), time(19, 30))
    assert [(row.programme_id, row.started, row.active) for row in listed] == [(programme_id, 1, 1)]
    async with app.bot_data.sessions.begin() as session:
        assert await p.switch_version(session=session, enrolment_id=enrolment.id, version=2)
        assert await p.end_enrolment(
            session=session, enrolment_id=enrolment.id, status=p.EnrolmentStatus.LEFT, now=NOW
        )
        assert not await p.end_enrolment(
            session=session, enrolment_id=enrolment.id, status=p.EnrolmentStatus.LEFT, now=NOW
        )
    async with app.bot_data.sessions() as session:
        assert await p.active_enrolment(session=session, user_id=10) is None
        (history,) = await p.enrolments_of(session=session, user_id=10)
        (row,) = await p.list_programmes(session=session)
    assert history.version == 2 and history.status is p.EnrolmentStatus.LEFT
    assert (row.started, row.active) == (1, 0)


async def test_one_active_enrolment_per_patient(app: AcubotApp) -> None:
    await _user(app, 10)
    async with app.bot_data.sessions.begin() as session:
        first = await p.create_programme(session=session, spec=spec(), created_by=1, now=NOW)
        second = await p.create_programme(session=session, spec=spec(), created_by=1, now=NOW)
        for programme_id in (first, second):
            await p.enrol(
                session=session,
                user_id=10,
                programme_id=programme_id,
                version=1,
                link_id=None,
                start_date=date(2026, 3, 2),
                weekdays=p.ALL_WEEKDAYS,
                times=[time(8, 0)],
                now=NOW,
            )
    async with app.bot_data.sessions() as session:
        history = await p.enrolments_of(session=session, user_id=10)
    assert [(e.programme_id, e.status) for e in history] == [
        (first, p.EnrolmentStatus.LEFT),
        (second, p.EnrolmentStatus.ACTIVE),
    ]
    # The database itself refuses a second active row.
    with pytest.raises(IntegrityError):
        async with app.bot_data.sessions.begin() as session:
            session.add(
                ProgrammeEnrolment(
                    user_id=10,
                    programme_id=first,
                    version=1,
                    started_at=NOW,
                    start_date=date(2026, 3, 2),
                    weekdays=1,
                    times=["08:00"],
                    status="active",
                    keep_reminders=False,
                )
            )


async def test_a_single_use_link_is_claimed_once(app: AcubotApp) -> None:
    for user_id in (10, 11, 12):
        await _user(app, user_id)
    async with app.bot_data.sessions.begin() as session:
        programme_id = await p.create_programme(session=session, spec=spec(), created_by=1, now=NOW)
        single = await p.create_link(
            session=session,
            programme_id=programme_id,
            single_use=True,
            expires_at=NOW + timedelta(days=14),
            created_by=1,
            now=NOW,
        )
        reusable = await p.create_link(
            session=session,
            programme_id=programme_id,
            single_use=False,
            expires_at=NOW + timedelta(days=14),
            created_by=1,
            now=NOW,
        )

    async def claim(user_id: int, link_id: int, now: datetime = NOW) -> p.ClaimResult:
        async with app.bot_data.sessions.begin() as session:
            result, _ = await p.claim_link(
                session=session, link_id=link_id, user_id=user_id, now=now
            )
            return result

    # Two patients at once: exactly one wins.
    results = await asyncio.gather(claim(10, single.id), claim(11, single.id))
    assert sorted(results) == [p.ClaimResult.OK, p.ClaimResult.USED]
    winner = 10 if results[0] is p.ClaimResult.OK else 11
    assert await claim(winner, single.id) is p.ClaimResult.OK  # the same patient again
    assert await claim(12, single.id) is p.ClaimResult.USED
    for user_id in (10, 11, 12):
        assert await claim(user_id, reusable.id) is p.ClaimResult.OK
    later = NOW + timedelta(days=14)
    assert await claim(12, reusable.id, later) is p.ClaimResult.EXPIRED
    assert await claim(12, 9999) is p.ClaimResult.UNKNOWN
    async with app.bot_data.sessions() as session:
        link = await p.get_link(session=session, link_id=single.id)
    assert link is not None
    assert p.link_is_open(link, user_id=winner, now=NOW) is p.ClaimResult.OK
    assert p.link_is_open(link, user_id=12, now=NOW) is p.ClaimResult.USED
    assert p.link_is_open(link, user_id=winner, now=later) is p.ClaimResult.EXPIRED
