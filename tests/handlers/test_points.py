"""Point cards, menus and suggestions, end to end through the Application."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.local_api import InProcessBotAPI
from handlers.render import CAPTION_LIMIT, MESSAGE_LIMIT
from tests.harness import Patient, card, only_text

# Each article point by code, other code system, pinyin and both hanzi forms.
ARTICLE_POINT_NAMES = {
    "BL23": ["BL23", "UB 23", "Shenshu", "腎俞", "肾俞"],
    "BL40": ["BL40", "ub-40", "weizhong", "委中", "Wěizhōng"],
    "GB30": ["GB30", "g30", "Huantiao", "環跳", "环跳"],
    "GV4": ["GV4", "DU4", "mingmen", "命門", "命门"],
    "KI3": ["KI3", "KID 3", "Taixi", "太谿", "太溪"],
}


@pytest.mark.parametrize(
    ("code", "name"),
    [(code, name) for code, names in ARTICLE_POINT_NAMES.items() for name in names],
)
async def test_point_card_for_every_name(patient: Patient, code: str, name: str) -> None:
    calls = await patient.send(f"/point {name}")
    text = card(calls)
    assert text.startswith(f"<b>{code} · ")
    assert calls[0].method == "sendPhoto" and len(calls[0].text) <= 1024
    for heading in (
        "Where to find it",
        "What it is used for",
        "How to press it at home",
        "Take care",
    ):
        assert heading in text


async def test_bl40_card_content(patient: Patient, api: InProcessBotAPI) -> None:
    calls = await patient.send("/point UB40")
    text = card(calls)
    assert "Wěizhōng" in text and "委中" in text and "Middle of the Crook" in text
    assert "crease" in text and "30 seconds" in text
    assert "UB40" in text  # other code systems are shown
    assert calls[-1].params["parse_mode"] == "HTML"
    labels = [b["text"] for b in calls[-1].buttons]
    assert "🧭 Bladder meridian" in labels and "📍 All points" in labels


async def test_a_cards_title_is_printed_once(patient: Patient, app) -> None:  # type: ignore[no-untyped-def]
    """Issue 11.15: the caption names the point; the text under it does not repeat the title."""
    for point in app.bot_data.catalogue.points:
        calls = await patient.send(f"/point {point.code}")
        caption, details = (c.text for c in calls if c.method in {"sendPhoto", "sendMessage"})
        assert caption.startswith(f"<b>{point.code} · {point.pinyin}</b>")
        assert f"{point.code} · {point.pinyin}" not in details
        assert details.startswith("💡 <b>What it is used for</b>")


async def test_point_buttons_show_the_english_name(patient: Patient, app) -> None:  # type: ignore[no-untyped-def]
    """Issue 11.15: /points buttons are not only code and pinyin."""
    calls = await patient.send("/points")
    labels = {b["callback_data"]: b["text"] for b in calls[-1].buttons}
    for point in app.bot_data.catalogue.points:
        label = labels[f"pt:{point.code}"]
        assert label.startswith(point.code) and point.english in label, label
        assert len(label) <= 38


@pytest.mark.parametrize(
    ("query", "code"),
    [("kidney 3", "KI3"), ("kidney3", "KI3"), ("bladder 40", "BL40"), ("gallbladder 30", "GB30"),
     ("governing vessel 4", "GV4"), ("Governing Vessel 3", "GV3"), ("small intestine 3", "SI3")],
)  # fmt: skip
async def test_channel_name_and_number_is_a_direct_hit(
    patient: Patient, query: str, code: str
) -> None:
    """Issue 11.13."""
    assert card(await patient.send(f"/point {query}")).startswith(f"<b>{code} · ")


@pytest.mark.parametrize(
    ("query", "name", "codes"),
    [("BL", "Bladder meridian", {"BL23", "BL40", "BL60"}), ("bladder", "Bladder meridian", {"BL23"}),
     ("KI", "Kidney meridian", {"KI3", "KI7"}), ("DU", "Governing Vessel", {"GV3", "GV4"})],
)  # fmt: skip
async def test_point_with_a_meridians_code_shows_its_points(
    patient: Patient, query: str, name: str, codes: set[str]
) -> None:
    """Issue 11.13: `/point BL` is the Bladder meridian's points, not three fuzzy suggestions."""
    calls = await patient.send(f"/point {query}")
    text = card(calls)
    assert text.startswith(f"<b>{name}") and "not in our catalogue" not in text
    assert {f"pt:{code}" for code in codes} <= {b.get("callback_data") for b in calls[-1].buttons}


async def test_point_si_shows_the_channels_short_card(patient: Patient) -> None:
    text = only_text(calls := await patient.send("/point SI"))
    assert text.startswith("<b>Small Intestine meridian (SI)</b>")
    assert "pt:SI3" in {b.get("callback_data") for b in calls[-1].buttons}


async def test_card_explains_cun_where_used(patient: Patient) -> None:
    text = card(await patient.send("/point BL23"))
    assert "cun" in text and "thumb" in text


async def test_every_card_fits_telegram(patient: Patient, app) -> None:  # type: ignore[no-untyped-def]
    for point in app.bot_data.catalogue.points:
        calls = await patient.send(f"/point {point.code}")
        card(calls)
        assert len(calls[0].text) <= CAPTION_LIMIT and len(calls[-1].text) <= MESSAGE_LIMIT


async def test_typo_suggests_and_pressing_opens_the_card(patient: Patient) -> None:
    calls = await patient.send("/point weizong")
    text = only_text(calls)
    assert "not in our catalogue" in text
    assert calls[-1].buttons[0]["text"].startswith("BL40")
    assert card(await patient.press("BL40")).startswith("<b>BL40 · ")


async def test_unknown_code_says_not_found(patient: Patient) -> None:
    text = only_text(await patient.send("/point UB99"))
    assert "“UB99” is not in our catalogue" in text


async def test_point_without_argument_shows_the_menu(patient: Patient, app) -> None:  # type: ignore[no-untyped-def]
    calls = await patient.send("/point")
    text = only_text(calls)
    assert "Bladder meridian" in text and "Governing Vessel" in text
    codes = {b["callback_data"] for b in calls[-1].buttons}
    assert codes == {f"pt:{p.code}" for p in app.bot_data.catalogue.points}
    assert card(await patient.press("GV4")).startswith("<b>GV4 · ")


async def test_points_command_and_menu_button(patient: Patient) -> None:
    assert "Tap a point" in only_text(await patient.send("/points"))
    await patient.send("/start")
    assert "Tap a point" in only_text(await patient.press("Points"))


async def test_free_text_naming_a_point_shows_its_card(patient: Patient) -> None:
    assert card(await patient.send("where is weizhong?")).startswith("<b>BL40 · ")
    assert card(await patient.send("委中")).startswith("<b>BL40 · ")
    # Not a point's name: the patient's own words (tests/handlers/test_own_words.py).
    assert "BL23" in only_text(await patient.send("my back hurts today"))
    assert "not sure what you mean" in only_text(await patient.send("qwerty zxcv"))


BAD_INPUT = [
    "x" * 5000,
    "🙂🔥💥",
    "bl\x00\x07\x1b[31m40",
    "'; DROP TABLE users; --",
    "<b>bold</b><script>alert(1)</script>",
    "&amp; &lt;",
]


@pytest.mark.parametrize("bad", BAD_INPUT)
async def test_bad_point_input_gets_a_clear_reply(
    patient: Patient, bad: str, handler_errors: list[logging.LogRecord]
) -> None:
    text = only_text(await patient.send(f"/point {bad}"))
    assert "not in our catalogue" in text or "longer than any point name" in text
    assert "<script>" not in text and "<b>bold" not in text  # shown escaped
    if "<b>" in bad:
        assert "&lt;b&gt;bold" in text
    assert handler_errors == []
    # Nothing was lost: the bot still answers normally.
    assert card(await patient.send("/point BL40")).startswith("<b>BL40")


@pytest.mark.parametrize("bad", BAD_INPUT)
async def test_bad_free_text_gets_a_clear_reply(
    patient: Patient, bad: str, handler_errors: list[logging.LogRecord]
) -> None:
    text = only_text(await patient.send(bad))
    assert "/point UB40" in text
    assert handler_errors == []


async def test_stale_or_forged_buttons_are_answered(patient: Patient, api: InProcessBotAPI) -> None:
    await patient.send("/points")
    for data in ("pt:XX99", "mer:ZZ", "menu:nothing", "garbage", "pt:" + "A" * 60):
        calls = await patient.press_data(data)
        assert any(c.method == "answerCallbackQuery" or c.method == "sendMessage" for c in calls)


async def test_each_picture_is_uploaded_once_then_reused(
    patient: Patient, api: InProcessBotAPI
) -> None:
    first = next(c for c in await patient.send("/point BL23") if c.method == "sendPhoto")
    uploaded_id = next(m["photo"][-1]["file_id"] for m in api.messages.values() if "photo" in m)
    second = next(c for c in await patient.send("/point shenshu") if c.method == "sendPhoto")
    assert "photo" in first.files  # the first send uploads the file
    assert second.files == {} and second.params["photo"] == uploaded_id  # then its id is reused


async def test_a_refused_file_id_is_uploaded_again(patient: Patient, api: InProcessBotAPI) -> None:
    await patient.send("/point BL23")
    api.fail(400, "Bad Request: wrong file identifier/HTTP URL specified", method="sendPhoto")
    calls = await patient.send("/point BL23")
    photos = [c for c in calls if c.method == "sendPhoto"]
    assert len(photos) == 2 and "photo" in photos[1].files


async def test_a_file_id_from_an_earlier_run_is_refused_and_the_picture_uploaded(
    settings,
    clock,
    sleep,  # type: ignore[no-untyped-def]
) -> None:
    from bot.application import running
    from tests.conftest import make_app

    first_api = InProcessBotAPI()
    async with running(make_app(settings, first_api, clock, sleep)) as first:
        await Patient(first, first_api).send("/point BL40")
    second_api = InProcessBotAPI()  # a new process: it never issued the stored id
    async with running(make_app(settings, second_api, clock, sleep)) as second:
        calls = await Patient(second, second_api).send("/point BL40")
    photos = [c for c in calls if c.method == "sendPhoto"]
    assert len(photos) == 2 and photos[0].files == {} and "photo" in photos[1].files


async def test_a_second_run_never_shows_another_points_picture_under_a_card(
    settings,
    clock,
    sleep,  # type: ignore[no-untyped-def]
) -> None:
    """Issue 11.4: run 1 stored BL40's id; run 2 uploaded KI3 first, then asked for BL40."""
    from bot.application import running
    from content.catalogue import PICTURES_DIR
    from tests.conftest import make_app

    first_api = InProcessBotAPI()
    async with running(make_app(settings, first_api, clock, sleep)) as first:
        await Patient(first, first_api).send("/point BL40")
    second_api = InProcessBotAPI()
    async with running(make_app(settings, second_api, clock, sleep)) as second:
        patient = Patient(second, second_api)
        for code in ("KI3", "BL40", "KI3", "BL40"):
            calls = await patient.send(f"/point {code}")
            shown = [c for c in calls if c.method == "sendPhoto"][-1]
            expected = (PICTURES_DIR / "points" / f"{code}.png").read_bytes()
            assert second_api.file_content(shown) == expected, code
    assert first_api.run_id != second_api.run_id


async def test_another_bot_on_the_same_database_keeps_its_own_file_ids(
    settings,
    clock,
    sleep,  # type: ignore[no-untyped-def]
) -> None:
    """`acubot chat` on the clinic's database never overwrites the real bot's stored ids."""
    from sqlalchemy import select

    from bot.application import running
    from storage.models import TelegramFile
    from tests.conftest import make_app

    api = InProcessBotAPI()
    async with running(make_app(settings, api, clock, sleep)) as app:
        await Patient(app, api).send("/point BL40")
        # The new id is saved beside the reply (handlers.pictures): wait for that task.
        saving = [t for t in asyncio.all_tasks() if t.get_name().startswith("file-id-")]
        await asyncio.gather(*saving)
        async with app.bot_data.sessions() as session:
            keys = list(await session.scalars(select(TelegramFile.key)))
    assert keys and all(key.startswith(f"{app.bot.id}/") for key in keys)


async def test_cards_sent_while_a_picture_is_being_saved_start_no_second_save(
    patient: Patient,
    app,  # type: ignore[no-untyped-def]
) -> None:
    """A card sends nothing to the database, so a burst of cards can run before the
    first upload's save does: every one of them used to start another save."""
    await patient.send("/point BL40")  # uploads; its save is now a task
    saving = [t for t in asyncio.all_tasks() if t.get_name().startswith("file-id-")]
    assert len(saving) == 1
    for _ in range(5):
        await patient.send("/point weizhong")
    again = [t for t in asyncio.all_tasks() if t.get_name().startswith("file-id-")]
    assert set(again) <= set(saving)
    await asyncio.gather(*saving)
    services = app.bot_data
    assert not services.unsaved_file_ids and not services.saving_file_ids
