"""Every command the bot answers, in one table: the menu and /help both come from it.

Telegram's command menu (`set_my_commands`) shows the short `menu` line;
/help shows the `help` line under its section. Staff commands appear in the
menu and in /help only for clinic staff (ADMIN_IDS).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import BotCommand

LOOKUP, REMINDER, DATA, STAFF = "", "Daily reminder", "Your data", "Clinic staff"


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    menu: str | None  # the command menu's description; None keeps it out of the menu
    help: str | None  # the /help line after "/name — " (HTML); None keeps it out of /help
    section: str = LOOKUP
    staff: bool = False
    argument: str = ""  # shown in /help after the command, e.g. "name"


COMMANDS = (
    Command(
        "point",
        "Look up a point: /point UB40",
        "a point's card: <code>/point UB40</code>, <code>/point bl-40</code>, "
        "<code>/point weizhong</code>, <code>/point 委中</code>",
        argument="name",
    ),
    Command("points", "Browse the points", "browse all the points"),
    Command(
        "meridian",
        "Browse the meridians",
        "a meridian and its points: <code>/meridian BL</code>",
        argument="code",
    ),
    Command(
        "safety",
        "When to get help, how to press safely",
        "when to get medical help, and how to press safely",
    ),
    Command("evidence", "What the research says", "what the research says, with sources"),
    Command(
        "pregnancy",
        "Tell me if you are pregnant",
        "tell me you are pregnant (or not): <code>/pregnancy on</code>, "
        "<code>/pregnancy off</code>",
    ),
    Command("book", "Book an appointment", "book an appointment with the clinic"),
    Command(
        "remind",
        "A daily acupressure reminder",
        "a daily acupressure reminder at your own time",
        REMINDER,
    ),
    Command(
        "routine", "The guided home routine", "the guided home routine, step by step", REMINDER
    ),
    Command(
        "settings",
        "Your reminder's time and zone",
        "your reminder's time, zone and routine",
        REMINDER,
    ),
    Command(
        "pause",
        "Pause reminders: /pause 7",
        "a break from reminders: <code>/pause 14</code> (7 days unless you say)",
        REMINDER,
        argument="days",
    ),
    Command("resume", "Resume reminders", "turn reminders back on after a pause", REMINDER),
    Command("stop", "Stop reminders", "stop the daily reminders", REMINDER),
    Command(
        "progress",
        "Your streak and chart",
        "your streak, your pain scores and a chart",
        REMINDER,
    ),
    Command("cancel", None, "leave the question I am waiting on", REMINDER),
    Command("privacy", "What is stored; /export, /delete", "what is stored and why", DATA),
    Command("export", None, "a copy of everything stored about you", DATA),
    Command("delete", None, "erase everything stored about you", DATA),
    Command("help", "What I can do", None),
    Command("start", "Start again", None),
    Command(
        "broadcast", "Staff: send a message to patients", "send a message to patients", STAFF, True
    ),
    Command(
        "broadcasts", "Staff: recent broadcasts", "recent broadcasts and their counts", STAFF, True
    ),
    Command("stats", "Staff: how the bot is used", "how the bot is used, in numbers", STAFF, True),
)


def _offered(command: Command, *, staff: bool, booking: bool) -> bool:
    # /book with no link, phone or address would have nothing to show.
    return (staff or not command.staff) and (booking or command.name != "book")


def menu_commands(*, staff: bool, booking: bool = True) -> list[BotCommand]:
    """Telegram's command menu: patients' commands, plus staff ones for staff."""
    return [
        BotCommand(command.name, command.menu)
        for command in COMMANDS
        if command.menu is not None and _offered(command, staff=staff, booking=booking)
    ]


def help_text(*, staff: bool, booking: bool = True) -> str:
    """/help: each command's line under its section, staff commands for staff only."""
    lines = ["<b>What I can do</b>"]
    section: str | None = None
    for command in COMMANDS:
        if command.help is None or not _offered(command, staff=staff, booking=booking):
            continue
        if command.section != section:
            section = command.section
            lines.append(f"\n<b>{section}</b>" if section else "")
        argument = f" <i>{command.argument}</i>" if command.argument else ""
        lines.append(f"/{command.name}{argument} — {command.help}")
    lines += [
        "",
        "You can also just write in your own words: a point's name (<i>kidney 3</i>), "
        "what bothers you (<i>sciatica</i>), or <i>remind me at 8</i>.",
    ]
    return "\n".join(lines)
