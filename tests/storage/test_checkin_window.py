"""The check-in statement decides the answer's window in SQL, as `may_answer` does in Python.

On both databases, for patients around the world and instants on both sides
of their local midnight (and a clock change), the statement stores exactly
the answers `may_answer` allows on the patient's own calendar, and tells an
unknown person from an answer outside its window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from handlers.context import AcubotApp
from scheduler.checkin_rules import answer_window, may_answer
from scheduler.schedule_rule import local_date_of
from storage.checkins import (
    CheckInKind,
    NotKnown,
    OutsideWindow,
    record_checkin_of_known_user,
)
from storage.dialect import sqlite_days_since
from storage.models import CheckIn, Subscription, User

CLINIC = "Australia/Sydney"  # for the patient without a reminder
ZONES: dict[int, str | None] = {
    1: "Pacific/Kiritimati",  # UTC+14
    2: "Pacific/Pago_Pago",  # UTC-11
    3: "America/Chicago",  # the clock changes on 14 March 2027
    4: "Asia/Kolkata",  # UTC+5:30
    5: "Europe/London",
    6: None,
}
# Instants on either side of local midnights, and Chicago's spring change (08:00 UTC).
INSTANTS = [
    datetime(2027, 3, 14, 5, 59, tzinfo=UTC),  # Chicago 23:59 on the 13th
    datetime(2027, 3, 14, 6, 1, tzinfo=UTC),
    datetime(2027, 3, 14, 8, 30, tzinfo=UTC),  # just after the change
    datetime(2027, 3, 14, 9, 59, tzinfo=UTC),  # Kiritimati 23:59
    datetime(2027, 3, 14, 10, 1, tzinfo=UTC),
    datetime(2027, 3, 14, 18, 29, tzinfo=UTC),  # Kolkata 23:59
    datetime(2027, 3, 14, 23, 59, tzinfo=UTC),
    datetime(2027, 3, 15, 0, 1, tzinfo=UTC),
    datetime(2027, 3, 15, 11, 1, tzinfo=UTC),  # Pago Pago just past midnight
]


async def _patients(app: AcubotApp) -> None:
    now = INSTANTS[0]
    async with app.bot_data.sessions.begin() as session:
        await session.execute(
            insert(User),
            [
                {"id": u, "chat_id": u, "first_seen_at": now, "last_seen_at": now, "blocked": False}
                for u in ZONES
            ],
        )
        await session.execute(
            insert(Subscription),
            [
                {"user_id": u, "chat_id": u, "local_time": wall_time(8), "timezone": zone,
                 "routine": "clinic", "active": True, "next_due_at": now,
                 "created_at": now, "updated_at": now}
                for u, zone in ZONES.items() if zone is not None
            ],
        )  # fmt: skip


async def _stored(app: AcubotApp, user: int, kind: CheckInKind, day: date) -> int:
    async with app.bot_data.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(CheckIn)
            .where(CheckIn.user_id == user, CheckIn.kind == str(kind), CheckIn.local_date == day)
        )
    return int(count or 0)


@pytest.mark.parametrize("kind", list(CheckInKind))
async def test_stored_exactly_when_may_answer_allows(app: AcubotApp, kind: CheckInKind) -> None:
    await _patients(app)
    engine = app.bot_data.engine
    checked = {True: 0, False: 0}
    for now in INSTANTS:
        for user, zone in ZONES.items():
            today = local_date_of(now, ZoneInfo(zone or CLINIC))
            for back in range(-1, 9):
                asked_on = today - timedelta(days=back)
                expected = may_answer(kind, asked_on, today)
                score = (user + back) % 11
                try:
                    returned = await record_checkin_of_known_user(
                        engine=engine,
                        user_id=user,
                        kind=kind,
                        score=score,
                        local_date=asked_on,
                        now=now,
                        window_days=answer_window(kind).days,
                        clinic_zone=CLINIC,
                    )
                except OutsideWindow as outside:
                    assert not expected, (now, zone, asked_on)
                    assert outside.zone == zone
                else:
                    assert expected, (now, zone, asked_on)
                    assert returned == zone
                    assert await _stored(app, user, kind, asked_on) == 1
                checked[expected] += 1
    assert checked[True] > 50 and checked[False] > 50


async def test_an_unknown_person_is_not_known(app: AcubotApp) -> None:
    with pytest.raises(NotKnown):
        await record_checkin_of_known_user(
            engine=app.bot_data.engine,
            user_id=99,
            kind=CheckInKind.PAIN,
            score=3,
            local_date=date(2027, 3, 14),
            now=INSTANTS[0],
            window_days=0,
            clinic_zone=CLINIC,
        )


def test_sqlites_function_reads_what_sqlite_holds() -> None:
    # Naive UTC text, as SQLAlchemy stores an aware UTC instant on SQLite.
    assert sqlite_days_since("2027-03-14 10:01:00.000000", "Pacific/Kiritimati", "2027-03-14") == 1
    assert sqlite_days_since("2027-03-14 10:01:00", "Pacific/Pago_Pago", "2027-03-14") == -1
    assert sqlite_days_since("2027-03-14 10:01:00", "Not/AZone", "2027-03-14") is None
    assert sqlite_days_since(None, "UTC", "2027-03-14") is None
    assert sqlite_days_since("garbage", "UTC", "2027-03-14") is None
