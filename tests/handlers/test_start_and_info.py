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


async def _chat(tmp_path: Path, commands: list[str], **settings: str) -> list[list]:  # type: ignore[type-arg]
    api = InProcessBotAPI()
    app = build_application(make_settings(tmp_path / "b.sqlite3", **settings), request=api)
    async with running(app):
        patient = Patient(app, api)
        replies = [await patient.send(command) for command in commands]
        replies.append(api.calls_to("setMyCommands"))
    return replies


async def test_book_without_anything_to_show_is_hidden(tmp_path: Path) -> None:
    """Issue 11.14: no link, phone or address: /book is not offered anywhere."""
    book, start, help_, menus = await _chat(tmp_path, ["/book", "/start", "/help"], booking_url="")
    assert "contact River Forest Health &amp; Wellness directly" in only_text(book)
    assert "/book" not in only_text(help_)
    for reply in (start, help_):
        assert not any("Book" in b["text"] for b in reply[-1].buttons)
    for call in menus:
        assert "book" not in {c["command"] for c in call.params["commands"]}


async def test_book_without_a_link_gives_the_phone_and_address(tmp_path: Path) -> None:
    """Issue 11.14: CLINIC_PHONE and CLINIC_ADDRESS when BOOKING_URL is not set."""
    book, start, help_, menus = await _chat(
        tmp_path,
        ["/book", "/start", "/help"],
        booking_url="",
        clinic_phone="+1 708 555 0134",
        clinic_address="7605 Lake St, River Forest, IL 60305",
    )
    text = only_text(book)
    assert "Call us to book: +1 708 555 0134" in text
    assert "7605 Lake St, River Forest, IL 60305" in text and "online" not in text
    assert "/book" in only_text(help_)
    assert all("book" in {c["command"] for c in call.params["commands"]} for call in menus)
    # The menu's button shows the same (there is no link to open).
    (button,) = [b for b in start[-1].buttons if "Book" in b["text"]]
    assert button["callback_data"] == "menu:book"


async def test_menu_book_button_shows_the_phone(tmp_path: Path) -> None:
    api = InProcessBotAPI()
    settings = make_settings(tmp_path / "b.sqlite3", booking_url="", clinic_phone="708 555 0134")
    async with running(build_application(settings, request=api)) as app:
        patient = Patient(app, api)
        await patient.send("/start")
        assert "Call us to book: 708 555 0134" in only_text(await patient.press("Book a visit"))


async def test_book_with_a_link_and_a_phone_shows_both(tmp_path: Path) -> None:
    (book, _menus) = await _chat(tmp_path, ["/book"], clinic_phone="708 555 0134")
    assert "Or call us: 708 555 0134" in only_text(book)
    assert book[-1].buttons[0]["url"] == "https://clinic.example.com/book"


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
