"""Helpers for reminder tests: subscribe people directly, run the dispatcher."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from content.i18n import translator
from handlers.context import AcubotApp
from scheduler import subscriptions
from scheduler.dispatcher import DispatchReport
from storage import reminders, users
from storage.reminders import DeliveryRecord, SubscriptionRecord


async def subscribe_many(
    app: AcubotApp,
    user_ids: Iterable[int],
    at: str = "08:00",
    zone: str = "America/Chicago",
    routine: str = "clinic",
) -> None:
    """Patients subscribed as the /remind flow would leave them (one transaction)."""
    services = app.bot_data
    now = services.now()
    async with services.sessions.begin() as session:
        for user_id in user_ids:
            await users.record_user_seen(
                session=session, user_id=user_id, chat_id=user_id, language_code="en", now=now
            )
            await subscriptions.subscribe(
                session=session,
                user_id=user_id,
                chat_id=user_id,
                local_time=time.fromisoformat(at),
                zone=zone,
                routine=routine,
                now=now,
            )


async def subscribe(
    app: AcubotApp,
    user_id: int,
    at: str = "08:00",
    zone: str = "America/Chicago",
    routine: str = "clinic",
) -> SubscriptionRecord:
    """One patient subscribed; returns their subscription."""
    await subscribe_many(app, [user_id], at, zone, routine)
    sub = await subscription_of(app, user_id)
    assert sub is not None
    return sub


async def dispatch(app: AcubotApp) -> DispatchReport:
    """One dispatcher tick at the injected clock's now."""
    services = app.bot_data
    return await services.dispatcher.run(now=services.now())


async def subscription_of(app: AcubotApp, user_id: int) -> SubscriptionRecord | None:
    async with app.bot_data.sessions() as session:
        return await reminders.get_subscription(session=session, user_id=user_id)


async def delivery_of(app: AcubotApp, delivery_id: int) -> DeliveryRecord | None:
    async with app.bot_data.sessions() as session:
        return await reminders.get_delivery(session=session, delivery_id=delivery_id)


def en_time(hh_mm: str) -> str:
    """A time as the bot writes it in English ("8:00 AM", with Babel's narrow space)."""
    return translator("en").time(time.fromisoformat(hh_mm))


def en_when(day: date, hh_mm: str) -> str:
    """A day and time as the bot writes them in English: "Tue, June 1 at 8:00 AM"."""
    return f"{translator('en').day(day)} at {en_time(hh_mm)}"
