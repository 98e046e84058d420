"""A cautioned point's card knows the patient's pregnancy flag without a read of its own.

storage.safety.PregnantSet: this process's own /pregnancy is known at once,
other instances' flags within `refresh_every` (read for everyone in one
statement), and with the database away a card leads with the caution.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.local_api import InProcessBotAPI
from bot.settings import Settings
from handlers.context import AcubotApp
from storage.models import User
from storage.safety import PregnantSet, set_pregnant
from tests.bot.test_database_outage import TcpProxy, outage_app, proxied_postgres  # noqa: F401
from tests.conftest import two_instances
from tests.handlers.test_flows import Ticks, count_statements
from tests.harness import FakeClock, Patient

LEADS = "🤰 <b>Pregnancy: BL23"


def caption(calls) -> str:  # type: ignore[no-untyped-def]
    return next(c.text for c in calls if c.method == "sendPhoto")


async def test_cautioned_cards_read_the_flag_for_everyone_at_most_once_a_second(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    ticks = Ticks()
    app.bot_data.pregnant = PregnantSet(refresh_every=1.0, monotonic=ticks)
    first, second = Patient(app, api, user_id=1), Patient(app, api, user_id=2)
    await first.send("/start")
    await first.send("/point BL23")  # the first cautioned card reads everyone's flag
    seen = count_statements(app)
    for patient in (first, second, first):
        assert not caption(await patient.send("/point BL23")).startswith(LEADS)
    assert [s for s in seen if "pregnant" in s] == []
    # Their own /pregnancy is known to this process at once, without a read...
    await first.send("/pregnancy on")
    seen.clear()
    assert caption(await first.send("/point BL23")).startswith(LEADS)
    assert not caption(await second.send("/point BL23")).startswith(LEADS)
    assert [s for s in seen if "pregnant" in s] == []
    # ...and a second later the next card reads everyone's again.
    ticks.now += 1.0
    assert caption(await first.send("/point shenshu")).startswith(LEADS)
    assert len([s for s in seen if "pregnant" in s]) == 1
    await first.send("/pregnancy off")
    assert not caption(await first.send("/point BL23")).startswith(LEADS)


async def test_a_flag_set_on_another_instance_is_learnt_within_the_refresh(
    settings: Settings, clock: FakeClock, sleep
) -> None:  # type: ignore[no-untyped-def]
    ticks = Ticks()
    async with two_instances(settings, clock, sleep) as (on_a, on_b):
        on_b.app.bot_data.pregnant = PregnantSet(refresh_every=1.0, monotonic=ticks)
        assert not caption(await on_b.send("/point BL23")).startswith(LEADS)
        await on_a.send("/pregnancy on")
        # Within the second, B's card still carries the caution under "Take care".
        calls = await on_b.send("/point BL23")
        assert "traditionally avoided in pregnancy" in "".join(c.text for c in calls)
        ticks.now += 1.0
        assert caption(await on_b.send("/point BL23")).startswith(LEADS)
        await on_a.send("/pregnancy off")
        ticks.now += 1.0
        assert not caption(await on_b.send("/point BL23")).startswith(LEADS)
        # /delete on B forgets the flag there at once.
        await on_a.send("/pregnancy on")
        ticks.now += 1.0
        await on_b.send("/point BL23")
        await on_b.send("/delete")
        await on_b.press("Yes, delete everything")
        assert 1 not in on_b.app.bot_data.pregnant


async def test_a_flag_noted_while_the_read_runs_is_kept(app: AcubotApp) -> None:
    """The read may have started before this process committed and noted a change."""
    services = app.bot_data
    known = PregnantSet()
    async with services.sessions() as session:
        read = asyncio.create_task(known.refresh(session=session))
        await asyncio.sleep(0)  # the read is on its way to the database
        assert not read.done()
        known.note(7, True)
        known.note(8, True)
        known.note(8, False)
        await read
    assert 7 in known and 8 not in known and not known.needs_refresh()


@pytest.mark.postgres
async def test_with_the_database_away_a_cautioned_card_leads_with_the_caution(
    outage_app: AcubotApp,  # noqa: F811
    proxied_postgres: tuple[str, TcpProxy],  # noqa: F811
    api: InProcessBotAPI,
) -> None:
    _url, proxy = proxied_postgres
    ticks = Ticks()
    outage_app.bot_data.pregnant = PregnantSet(refresh_every=1.0, monotonic=ticks)
    patient = Patient(outage_app, api, user_id=1)
    assert not caption(await patient.send("/point BL23")).startswith(LEADS)
    proxy.stop()
    ticks.now += 1.0  # the flags are due to be read again, and cannot be
    assert caption(await patient.send("/point BL23")).startswith(LEADS)
    assert not caption(await patient.send("/point BL40")).startswith("🤰")
    await proxy.start()


async def test_set_pregnant_through_storage_is_read_by_a_refresh(app: AcubotApp) -> None:
    services = app.bot_data
    patient_id = 5
    async with services.sessions.begin() as session:
        now = services.now()
        session.add(User(id=patient_id, chat_id=patient_id, first_seen_at=now, last_seen_at=now))
        await session.flush()
        await set_pregnant(session=session, user_id=patient_id, pregnant=True)
    known = PregnantSet()
    async with services.sessions() as session:
        await known.refresh(session=session)
    assert patient_id in known and 6 not in known
