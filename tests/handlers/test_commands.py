"""One command table: Telegram's menu, /help and the registered handlers agree."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.local_api import InProcessBotAPI
from handlers.commands import COMMANDS
from tests.conftest import ADMIN_ID
from tests.harness import Patient, only_text

PATIENT_COMMANDS = {c.name for c in COMMANDS if not c.staff}
STAFF_COMMANDS = {c.name for c in COMMANDS if c.staff}


def registered_commands(app) -> set[str]:  # type: ignore[no-untyped-def]
    return {
        name
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    }


async def test_every_registered_command_is_in_the_table_and_back(app) -> None:  # type: ignore[no-untyped-def]
    aliases = {"booking", "meridians", "subscribe", "unsubscribe"}  # answered, not advertised
    assert registered_commands(app) - aliases == {c.name for c in COMMANDS}


async def test_the_menus_come_from_the_table(api: InProcessBotAPI, app) -> None:  # type: ignore[no-untyped-def]
    menus = api.calls_to("setMyCommands")
    everyone = [m for m in menus if "scope" not in m.params]
    staff = [m for m in menus if m.params.get("scope", {}).get("chat_id") == ADMIN_ID]
    listed = [c.name for c in COMMANDS if c.menu is not None]
    assert [c["command"] for c in everyone[-1].params["commands"]] == [
        name for name in listed if name in PATIENT_COMMANDS
    ]
    assert [c["command"] for c in staff[-1].params["commands"]] == listed


async def test_help_lists_every_patient_command_and_staff_ones_only_for_staff(
    app, api: InProcessBotAPI, patient: Patient
) -> None:  # type: ignore[no-untyped-def]
    shown = [c.name for c in COMMANDS if c.help is not None]
    text = only_text(await patient.send("/help"))
    for name in shown:
        assert (f"/{name} " in text) is (name in PATIENT_COMMANDS), name
    assert "Clinic staff" not in text
    staff_text = only_text(await Patient(app, api, user_id=ADMIN_ID).send("/help"))
    for name in shown:
        assert f"/{name} " in staff_text, name
    assert "<b>Clinic staff</b>" in staff_text
