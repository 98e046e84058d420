"""Old deliveries are pruned after DELIVERY_RETENTION; until then the patient's export has them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import insert

from handlers.context import AcubotApp
from storage import privacy
from storage.models import Delivery
from storage.reminders import DeliveryStatus
from tests.conftest import make_settings
from tests.harness import FakeClock
from tests.reminders_support import dispatch, subscribe


async def add_delivery(app: AcubotApp, subscription_id: int, days_ago: int) -> None:
    now = app.bot_data.now()
    async with app.bot_data.sessions.begin() as session:
        await session.execute(
            insert(Delivery).values(
                subscription_id=subscription_id,
                user_id=7,
                local_date=(now - timedelta(days=days_ago)).date(),
                due_at=now - timedelta(days=days_ago),
                status=DeliveryStatus.SENT,
                attempts=1,
                sent_at=now - timedelta(days=days_ago),
            )
        )


async def exported_days(app: AcubotApp) -> list[str]:
    async with app.bot_data.sessions() as session:
        export = await privacy.export_user(session=session, user_id=7)
    assert export is not None
    return [row["local_date"] for row in export["reminders_sent"]]


async def test_deliveries_past_the_retention_are_pruned_and_leave_the_export(
    app: AcubotApp, clock: FakeClock
) -> None:
    assert app.bot_data.settings.delivery_retention == timedelta(days=400)
    sub = await subscribe(app, 7)
    await add_delivery(app, sub.id, days_ago=401)
    await add_delivery(app, sub.id, days_ago=399)
    old, kept = sorted(await exported_days(app))  # both in the export until pruned

    report = await dispatch(app)

    assert report.pruned == 1
    assert await exported_days(app) == [kept]
    assert old != kept

    # Pruning is occasional: not again within the hour, then again.
    await add_delivery(app, sub.id, days_ago=500)
    clock.advance(minutes=30)
    assert (await dispatch(app)).pruned == 0
    clock.advance(minutes=31)
    assert (await dispatch(app)).pruned == 1
    assert await exported_days(app) == [kept]


def test_retention_setting_reads_friendly_durations_and_refuses_zero(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path / "db.sqlite3", delivery_retention="90d")
    assert settings.delivery_retention == timedelta(days=90)
    with pytest.raises(ValidationError, match="longer than zero"):
        make_settings(tmp_path / "db.sqlite3", delivery_retention="0")
