"""Streaks count planned days: programme rest days and the bot's downtime are no misses."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from handlers.context import AcubotApp
from storage import programmes as p
from storage import reminders, users
from storage.progress import PracticePlan, ProgressData, load_progress, summarize
from storage.reminders import DeliveryStatus

MONDAY = date(2027, 3, 8)
MON_WED_FRI = p.weekday_mask([0, 2, 4])
DAY = timedelta(days=1)


def day(n: int) -> date:
    return MONDAY + n * DAY


def streaks(data: ProgressData, today: date) -> tuple[int, int]:
    summary = summarize(data, today)
    return summary.current_streak, summary.best_streak


def test_rest_days_neither_break_nor_extend() -> None:
    plan = PracticePlan(MON_WED_FRI, MONDAY)
    done = (day(0), day(2), day(4), day(7))  # Mon, Wed, Fri, next Mon
    assert streaks(ProgressData(done, (), (), plan=plan), day(8)) == (4, 4)
    # Without the programme the gaps break it.
    assert streaks(ProgressData(done, (), ()), day(8)) == (1, 1)
    # Done on a rest day as well: still four planned days, not five.
    assert streaks(ProgressData((*done[:2], day(3), *done[2:]), (), (), plan=plan), day(7)) == (
        4,
        4,
    )
    # A planned day not done (Wednesday of the second week) ends it.
    assert streaks(ProgressData(done, (), (), plan=plan), day(10)) == (0, 4)


def test_rest_days_count_only_from_the_programmes_start() -> None:
    plan = PracticePlan(MON_WED_FRI, day(7))
    done = (day(0), day(2), day(7))  # Tuesday 9th, before the programme, was missed
    assert streaks(ProgressData(done, (), (), plan=plan), day(7)) == (1, 1)


def test_a_day_the_bot_was_down_is_no_miss() -> None:
    done = (day(0), day(1), day(3))
    assert streaks(ProgressData(done, (), ()), day(3)) == (1, 2)
    assert streaks(ProgressData(done, (), (), missed_days=(day(2),)), day(3)) == (3, 3)
    # Done anyway on the day its reminder was missed: it counts.
    assert streaks(ProgressData((*done[:2], day(2), day(3)), (), (), (day(2),)), day(3)) == (4, 4)


def test_today_not_done_yet_breaks_nothing() -> None:
    plan = PracticePlan(MON_WED_FRI, MONDAY)
    done = (day(0), day(2))
    assert streaks(ProgressData(done, (), (), plan=plan), day(4)) == (2, 2)  # Friday, not yet
    assert streaks(ProgressData(done, (), (), plan=plan), day(5)) == (0, 2)  # Saturday: missed


def _old_streaks(done_days: tuple[date, ...], today: date) -> tuple[int, int]:
    """The streak rule before programmes, as the oracle for every-day patients."""
    done = set(done_days)
    end = today if today in done else today - DAY
    current = 0
    while end - timedelta(days=current) in done:
        current += 1
    best = run = 0
    previous: date | None = None
    for d in done_days:
        run = run + 1 if previous is not None and d - previous == DAY else 1
        best = max(best, run)
        previous = d
    return current, best


@given(st.sets(st.integers(0, 60)), st.integers(0, 62))
def test_without_a_programme_or_downtime_the_rule_is_unchanged(
    offsets: set[int], today_offset: int
) -> None:
    today = day(today_offset)
    done = tuple(sorted(day(n) for n in offsets if day(n) <= today))
    assert streaks(ProgressData(done, (), ()), today) == _old_streaks(done, today)


@given(st.sets(st.integers(0, 60)), st.integers(1, 127), st.integers(0, 62))
def test_a_programmes_streak_is_the_every_day_streak_of_its_planned_days(
    offsets: set[int], mask: int, today_offset: int
) -> None:
    today = day(today_offset)
    plan = PracticePlan(mask, MONDAY)
    done = tuple(sorted(day(n) for n in offsets if day(n) <= today))
    # Squeeze the rest days out: the planned days, renumbered one after another.
    planned = [d for d in (day(n) for n in range(today_offset + 1)) if not plan.is_rest_day(d)]
    index = {d: MONDAY + i * DAY for i, d in enumerate(planned)}
    squeezed = tuple(index[d] for d in done if d in index)
    if today in index:
        expected = _old_streaks(squeezed, index[today])
    elif not planned:
        expected = (0, 0)
    else:  # a rest day today: judged as of the last planned day
        last = index[planned[-1]]
        expected = _old_streaks(squeezed, last if last in squeezed else last + DAY)
    assert streaks(ProgressData(done, (), (), plan=plan), today) == expected


async def test_load_progress_reads_the_plan_and_the_missed_days(app: AcubotApp) -> None:
    now = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)
    async with app.bot_data.sessions.begin() as session:
        await users.record_user_seen(
            session=session, user_id=1, chat_id=1, language_code="en", now=now
        )
        programme_id = await p.create_programme(
            session=session,
            spec=p.ProgrammeSpec(
                title="Back", practitioner_name="Dr Lin", steps=(p.ProgrammeStep("BL23", 60),)
            ),
            created_by=9,
            now=now,
        )
        await p.enrol(
            session=session,
            user_id=1,
            programme_id=programme_id,
            version=1,
            link_id=None,
            start_date=MONDAY,
            weekdays=MON_WED_FRI,
            times=[time(8)],
            now=now,
        )
        await reminders.save_subscription(
            session=session,
            user_id=1,
            chat_id=1,
            local_time=time(8),
            timezone="UTC",
            routine="programme",
            next_due_at=now,
            now=now,
        )
        sub = await reminders.get_subscription(session=session, user_id=1)
        assert sub is not None
        for n, status in ((0, DeliveryStatus.SENT), (2, DeliveryStatus.MISSED)):
            await reminders.open_delivery(
                session=session,
                subscription_id=sub.id,
                user_id=1,
                local_date=day(n),
                due_at=now + n * DAY,
                status=status,
            )
        await reminders.mark_done(
            session=session,
            subscription_id=sub.id,
            user_id=1,
            local_date=day(0),
            due_at=now,
            now=now,
        )
        await reminders.mark_done(
            session=session,
            subscription_id=sub.id,
            user_id=1,
            local_date=day(4),
            due_at=now + 4 * DAY,
            now=now + 4 * DAY,
        )
    async with app.bot_data.sessions() as session:
        data = await load_progress(session=session, user_id=1)
    assert data.plan == PracticePlan(MON_WED_FRI, MONDAY)
    assert data.missed_days == (day(2),)
    assert data.done_days == (day(0), day(4))
    # Monday done, Wednesday's reminder lost to downtime, Friday done: two in a row.
    assert streaks(data, day(4)) == (2, 2)
