"""/start, /help, /safety, /book, /meridian and the fallbacks."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.application import build_application, running
from bot.local_api import InProcessBotAPI
from storage.models import User
from tests.conftest import make_settings
from tests.harness import Patient, card, only_text


async def test_start_greets_with_clinic_safety_and_menu(patient: Patient, app) -> None:  # type: ignore[no-untyped-def]
    calls = await patient.send("/start")
    text = only_text(calls)
    assert "River Forest Health &amp; Wellness" in text  # escaped
    assert "Hello, Pat!" in text
    assert app.bot_data.catalogue.safety.short_notice.split()[0] in text
    labels = [b["text"] for b in calls[-1].buttons]
    assert any("Points" in label for label in labels)
    assert any("Safety" in label for label in labels)
    assert any(b.get("url") == "https://clinic.example.com/book" for b in calls[-1].buttons)


async def test_start_records_the_user(patient: Patient, app) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/start")
    async with app.bot_data.sessions() as session:
        user = (await session.execute(select(User))).scalar_one()
    assert user.id == 1 and user.chat_id == 1 and user.language_code == "en"
    assert user.blocked is False and user.first_seen_at.tzinfo is not None


async def test_help_lists_the_commands(patient: Patient) -> None:
    text = only_text(await patient.send("/help"))
    for command in ("/point", "/points", "/meridian", "/safety", "/book"):
        assert command in text


async def test_safety_lists_red_flags_first(patient: Patient) -> None:
    text = only_text(await patient.send("/safety"))
    assert text.startswith("🚨")
    assert "bladder" in text.lower() and "cannot diagnose" in text.lower()


async def test_book_shows_the_booking_link(patient: Patient) -> None:
    calls = await patient.send("/book")
    assert calls[-1].buttons == [
        {"text": "📅 Book an appointment", "url": "https://clinic.example.com/book"}
    ]


async def test_book_without_a_link_says_so(tmp_path: Path) -> None:
    api = InProcessBotAPI()
    app = build_application(make_settings(tmp_path / "b.sqlite3", booking_url=""), request=api)
    async with running(app):
        text = only_text(await Patient(app, api).send("/book"))
    assert "not set up" in text


async def test_meridian_card_and_its_point_buttons(patient: Patient) -> None:
    calls = await patient.send("/meridian UB")
    text = card(calls)
    assert calls[0].method == "sendPhoto" and text.startswith("<b>Bladder") and "67 points" in text
    caption, details = (c.text for c in calls)
    assert "Bladder meridian" in caption and "Bladder meridian" not in details  # once (11.15)
    assert "Foot Taiyang" in caption and "Foot Taiyang" not in details
    assert "Also written UB or B" in caption
    assert {"pt:BL23", "pt:BL40"} <= {b.get("callback_data") for b in calls[-1].buttons}
    assert card(await patient.press("BL23")).startswith("<b>BL23")


async def test_meridian_list_and_unknown_meridian(patient: Patient) -> None:
    calls = await patient.send("/meridian")
    assert {b["callback_data"] for b in calls[-1].buttons} >= {
        "mer:BL",
        "mer:KI",
        "mer:GB",
        "mer:GV",
    }
    assert "Governing Vessel" in card(await patient.press("GV"))
    assert "not one of the meridians" in only_text(await patient.send("/meridian liver"))


async def test_every_channel_points_lists_has_a_meridian_card(patient: Patient, app) -> None:  # type: ignore[no-untyped-def]
    """Issue 11.13: `/meridian SI` (and every other group /points shows) answers with its points."""
    catalogue = app.bot_data.catalogue
    for code in dict.fromkeys(point.meridian for point in catalogue.points):
        calls = await patient.send(f"/meridian {code}")
        text = calls[-1].text
        assert "not one of the meridians" not in text, code
        assert catalogue.channel_name(code) in calls[0].text, code
        buttons = {b.get("callback_data") for b in calls[-1].buttons}
        assert {f"pt:{p.code}" for p in catalogue.points_on(code)} <= buttons, code
    menu = await patient.send("/meridian")
    assert {"mer:SI", "mer:EX"} <= {b["callback_data"] for b in menu[-1].buttons}
    pressed = await patient.press("Small Intestine")
    assert only_text(pressed).startswith("<b>Small Intestine meridian (SI)</b>")
    assert "One of the three meridians our clinic's article describes" in only_text(menu)


async def test_unknown_command_gets_help(patient: Patient) -> None:
    text = only_text(await patient.send("/frobnicate now"))
    assert "don't know the command /frobnicate" in text and "/help" in text


async def test_command_menu_is_set_at_start(api: InProcessBotAPI, app) -> None:  # type: ignore[no-untyped-def]
    commands = api.calls_to("setMyCommands")[-1].params["commands"]
    assert {c["command"] for c in commands} >= {
        "point",
        "points",
        "meridian",
        "safety",
        "book",
        "help",
    }
