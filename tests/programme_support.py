"""Helpers for home-programme tests: a staff-made programme, its link and signed code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.context import AcubotApp
from scheduler.programme_codes import LinkCode, sign
from storage import programmes
from storage.programmes import Enrolment, ProgrammeSpec, ProgrammeStep, Schedule, weekday_mask

STAFF_ID = 99
MON_WED_FRI = weekday_mask([0, 2, 4])


def back_programme(**changes: object) -> ProgrammeSpec:
    """BL40 (it has a catalogue technique) and KI7 (it has none), Mon/Wed/Fri for 6 weeks."""
    values: dict[str, object] = {
        "title": "Low back, home care",
        "practitioner_name": "Dr Ana Ruiz",
        "steps": (
            ProgrammeStep("BL40", 75, "Sit on a firm chair"),
            ProgrammeStep("KI7", 40),
        ),
        "schedule": Schedule.WEEKDAYS,
        "weekdays": MON_WED_FRI,
        "course_weeks": 6,
        "note": "Gentle pressure only, and stop if it hurts.",
    }
    values.update(changes)
    return ProgrammeSpec(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Prescribed:
    programme_id: int
    link_id: int
    code: str
    expires_at: datetime


async def prescribe(
    app: AcubotApp,
    spec: ProgrammeSpec | None = None,
    *,
    single_use: bool = True,
    lasts: timedelta = timedelta(days=14),
    programme_id: int | None = None,
) -> Prescribed:
    """A programme stored as /prescribe would store it, a link row, and its signed code."""
    services = app.bot_data
    now = services.now()
    expires_at = (now + lasts).replace(microsecond=0)
    async with services.sessions.begin() as session:
        if programme_id is None:
            programme_id = await programmes.create_programme(
                session=session, spec=spec or back_programme(), created_by=STAFF_ID, now=now
            )
        link = await programmes.create_link(
            session=session,
            programme_id=programme_id,
            single_use=single_use,
            expires_at=expires_at,
            created_by=STAFF_ID,
            now=now,
        )
    code = sign(LinkCode(link.id, expires_at, single_use), services.link_secret)
    return Prescribed(programme_id, link.id, code, expires_at)


async def enrolment_of(app: AcubotApp, user_id: int) -> Enrolment | None:
    async with app.bot_data.sessions() as session:
        return await programmes.active_enrolment(session=session, user_id=user_id)


async def all_enrolments(app: AcubotApp, user_id: int) -> list[Enrolment]:
    async with app.bot_data.sessions() as session:
        return await programmes.enrolments_of(session=session, user_id=user_id)
