"""/language: the choice is stored, wins over Telegram's tag, reaches other instances,
and is part of /export; the menu and the bot's description are set per language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.application import running
from bot.local_api import InProcessBotAPI
from bot.settings import Settings
from handlers.context import CHOSEN_LANGUAGE_TTL, AcubotApp, ChosenLanguages
from handlers.language import refresh_chosen_languages
from storage.models import User
from tests.conftest import RecordingSleep, make_app
from tests.harness import FakeClock, Patient


async def _stored_language(app: AcubotApp, user_id: int) -> str | None:
    async with app.bot_data.sessions() as session:
        result = await session.execute(select(User.language).where(User.id == user_id))
        return result.scalar_one_or_none()


async def test_the_buttons_name_each_language_in_its_own_words(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    patient = Patient(app, api, language_code="en")
    await patient.send("/start")
    calls = await patient.send("/language")
    labels = [button["text"] for button in calls[-1].buttons]
    assert labels == ["✅ English", "Español", "简体中文"]


async def test_a_choice_is_stored_and_wins_over_telegrams_tag(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    patient = Patient(app, api, language_code="en")
    await patient.send("/start")
    await patient.send("/language")
    await patient.press("Español")
    assert await _stored_language(app, patient.user_id) == "es"
    calls = await patient.send("/language")
    assert [b["text"] for b in calls[-1].buttons][1] == "✅ Español"
    assert app.bot_data.languages.get(patient.user_id) == "es"


async def test_another_instance_reads_the_choice(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    first_api, second_api = InProcessBotAPI(), InProcessBotAPI()
    async with (
        running(make_app(settings, first_api, clock, sleep)) as first,
        running(make_app(settings, second_api, clock, sleep)) as second,
    ):
        on_second = Patient(second, second_api, language_code="en")
        await on_second.send("/start")
        await on_second.send("/language")  # the second instance has now read "no choice"
        on_first = Patient(first, first_api, language_code="en")
        await on_first.send("/language")
        await on_first.press("中文")
        # Within the TTL the second instance may still answer in English; after it, Chinese.
        clock.advance(seconds=CHOSEN_LANGUAGE_TTL.total_seconds() + 1)
        calls = await on_second.send("/language")
        assert [b["text"] for b in calls[-1].buttons][2] == "✅ 简体中文"


async def test_a_person_who_is_not_stored_keeps_the_choice_in_memory_only(
    app: AcubotApp, api: InProcessBotAPI, clock: FakeClock
) -> None:
    patient = Patient(app, api, user_id=55, language_code="en")
    await patient.send("/language")
    await patient.press("Español")
    async with app.bot_data.sessions() as session:
        assert await session.get(User, 55) is None
    clock.advance(seconds=CHOSEN_LANGUAGE_TTL.total_seconds() + 1)
    calls = await patient.send("/language")
    assert [b["text"] for b in calls[-1].buttons][1] == "✅ Español"


async def test_the_choice_is_part_of_the_export(app: AcubotApp, api: InProcessBotAPI) -> None:
    patient = Patient(app, api, language_code="es-MX")
    await patient.send("/start")
    await patient.send("/language")
    await patient.press("中文")
    calls = await patient.send("/export")
    document = next(c for c in calls if c.method == "sendDocument")
    exported = json.loads(document.contents["document"])
    assert exported["profile"]["language"] == "zh"
    assert exported["profile"]["language_code"] == "es-MX"


async def test_an_unknown_language_button_changes_nothing(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    patient = Patient(app, api, language_code="en")
    await patient.send("/start")
    calls = await patient.press_data("lang:fr")
    assert any(c.method == "answerCallbackQuery" for c in calls)
    assert await _stored_language(app, patient.user_id) is None


async def test_menus_and_descriptions_are_set_per_language(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    for method in ("setMyCommands", "setMyDescription", "setMyShortDescription"):
        codes = {call.params.get("language_code") for call in api.calls if call.method == method}
        assert {None, "es", "zh"} <= codes, method


async def test_a_choice_made_before_start_is_stored_by_start(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    patient = Patient(app, api, user_id=56, language_code="en")
    await patient.send("/language")
    await patient.press("Español")
    assert await _stored_language(app, 56) is None
    await patient.send("/start")
    assert await _stored_language(app, 56) == "es"


async def test_a_long_clinic_name_still_fits_telegrams_description_limits(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    """CLINIC_NAME may be 100 characters; the profile texts are cut to Telegram's limits."""
    long_name = settings.model_copy(update={"clinic_name": "Clinic " + "x" * 93})
    api = InProcessBotAPI()
    async with running(make_app(long_name, api, clock, sleep)):
        shorts = [c.params["short_description"] for c in api.calls_to("setMyShortDescription")]
        longs = [c.params["description"] for c in api.calls_to("setMyDescription")]
    assert len(shorts) == 3 and all(len(text) <= 120 for text in shorts)
    assert len(longs) == 3 and all(len(text) <= 512 for text in longs)


async def test_a_traditional_chinese_app_is_told_why_it_reads_simplified(
    app: AcubotApp, api: InProcessBotAPI
) -> None:
    patient = Patient(app, api, user_id=57, language_code="zh-TW")
    start = (await patient.send("/start"))[-1].text
    assert "您好" in start and "繁體中文" in start
    await patient.send("/language")
    await patient.press("简体中文")  # chosen now: no more note
    assert "繁體中文" not in (await patient.send("/start"))[-1].text
    simplified = Patient(app, api, user_id=58, language_code="zh-CN")
    assert "繁體中文" not in (await simplified.send("/start"))[-1].text


def test_everyones_choices_read_at_once_answer_until_the_ttl() -> None:
    languages = ChosenLanguages()
    now = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    languages.remember(1, "zh", now - timedelta(minutes=1))  # read before the list
    languages.load({1: "es", 2: "es"}, now)
    assert languages.is_fresh(3, now)  # anyone: nobody waits on a read of their own
    assert (languages.get(1), languages.get(2), languages.get(3)) == ("es", "es", None)
    languages.remember(2, "zh", now + timedelta(seconds=5))  # chosen here afterwards: it wins
    assert languages.get(2) == "zh"
    languages.forget(1)  # /delete
    assert languages.get(1) is None
    later = now + CHOSEN_LANGUAGE_TTL
    assert not languages.is_fresh(3, later)  # the list is old: each update reads again
    assert languages.is_fresh(2, now + timedelta(minutes=9))


async def test_acubot_runs_list_of_choices_spares_each_update_its_own_read(
    settings: Settings, clock: FakeClock, sleep: RecordingSleep
) -> None:
    first_api, second_api = InProcessBotAPI(), InProcessBotAPI()
    async with running(make_app(settings, first_api, clock, sleep)) as first:
        chooser = Patient(first, first_api, language_code="en")
        await chooser.send("/start")
        await chooser.send("/language")
        await chooser.press("Español")
    async with running(make_app(settings, second_api, clock, sleep)) as second:
        assert await refresh_chosen_languages(second.bot_data) == 1
        async with second.bot_data.sessions.begin() as session:  # changed behind its back
            await session.execute(
                update(User).where(User.id == chooser.user_id).values(language="zh")
            )
        patient = Patient(second, second_api, user_id=chooser.user_id, language_code="en")
        calls = await patient.send("/language")
        assert [b["text"] for b in calls[-1].buttons][1] == "✅ Español"  # the list answered
        clock.advance(seconds=CHOSEN_LANGUAGE_TTL.total_seconds())
        calls = await patient.send("/language")
        assert [b["text"] for b in calls[-1].buttons][2] == "✅ 简体中文"  # read again
