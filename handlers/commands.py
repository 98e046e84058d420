"""Every command the bot answers, in one table: the menu and /help both come from it.

Telegram's command menu (`set_my_commands`) shows the short `menu` line;
/help shows the `help` line under its section. Staff commands appear in the
menu and in /help only for clinic staff whose role allows them (storage.staff:
ADMIN_IDS are owners; owners add others with /staff). The texts are English
message ids (`N_`), shown in each person's language; Telegram keeps one menu
per language (`set_my_commands(language_code=...)`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import BotCommand
from telegram.error import TelegramError

from content.i18n import N_, Translator, translators
from content.languages import DEFAULT_LANGUAGE
from handlers.context import AcubotApp
from storage.staff import Permission, Role, allows

log = logging.getLogger(__name__)

LOOKUP, REMINDER, DATA, STAFF = "", N_("Daily reminder"), N_("Your data"), N_("Clinic staff")
VISITS = N_("Visits")


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    menu: str | None  # the command menu's description; None keeps it out of the menu
    help: str | None  # the /help line after "/name — " (HTML); None keeps it out of /help
    section: str = LOOKUP
    permission: Permission | None = None  # a staff command: whose role allows it
    argument: str = ""  # shown in /help after the command, e.g. "name" (translated)

    @property
    def staff(self) -> bool:
        return self.permission is not None


COMMANDS = (
    Command(
        "point",
        N_("Look up a point: /point UB40"),
        N_(
            "a point's card: <code>/point UB40</code>, <code>/point bl-40</code>, "
            "<code>/point weizhong</code>, <code>/point 委中</code>"
        ),
        argument=N_("name"),
    ),
    Command("points", N_("Browse the points"), N_("browse all the points")),
    Command(
        "meridian",
        N_("Browse the meridians"),
        N_("a meridian and its points: <code>/meridian BL</code>"),
        argument=N_("code"),
    ),
    Command(
        "safety",
        N_("When to get help, how to press safely"),
        N_("when to get medical help, and how to press safely"),
    ),
    Command("evidence", N_("What the research says"), N_("what the research says, with sources")),
    Command(
        "pregnancy",
        N_("Tell me if you are pregnant"),
        N_(
            "tell me you are pregnant (or not): <code>/pregnancy on</code>, "
            "<code>/pregnancy off</code>"
        ),
    ),
    Command("book", N_("Book an appointment"), N_("book an appointment with the clinic")),
    Command(
        "remind",
        N_("A daily acupressure reminder"),
        N_("a daily acupressure reminder at your own time"),
        REMINDER,
    ),
    Command(
        "routine",
        N_("The guided home routine"),
        N_("the guided home routine, step by step"),
        REMINDER,
    ),
    Command(
        "programme",
        N_("Your practitioner's home programme"),
        N_("the home programme your practitioner gave you (a QR code), and your progress in it"),
        REMINDER,
    ),
    Command(
        "settings",
        N_("Your reminder's time and zone"),
        N_("your reminder's time, zone and routine"),
        REMINDER,
    ),
    Command(
        "pause",
        N_("Pause reminders: /pause 7"),
        N_("a break from reminders: <code>/pause 14</code> (7 days unless you say)"),
        REMINDER,
        argument=N_("days"),
    ),
    Command("resume", N_("Resume reminders"), N_("turn reminders back on after a pause"), REMINDER),
    Command("stop", N_("Stop reminders"), N_("stop the daily reminders"), REMINDER),
    Command(
        "progress",
        N_("Your streak and chart"),
        N_("your streak, your pain scores and a chart"),
        REMINDER,
    ),
    Command(
        "questionnaire",
        N_("Questionnaires: pain (PEG), daily activities (Roland-Morris)"),
        N_("two short back pain questionnaires (PEG, Roland-Morris), and how your score changed"),
        REMINDER,
    ),
    Command(
        "report",
        N_("A summary (PDF) for your visit"),
        N_("a one-page summary (PDF) of your last 4 or 6 weeks, to bring to your visit"),
        REMINDER,
    ),
    Command("cancel", None, N_("leave the question I am waiting on"), REMINDER),
    Command(
        "visit",
        N_("Enter your next visit: reminders before it"),
        N_(
            "enter a visit at the clinic (<i>friday 3pm</i>): a reminder the day before and "
            "a little before, to confirm, move or cancel"
        ),
        VISITS,
    ),
    Command("visits", N_("Your visits to come"), N_("your visits to come, with Cancel"), VISITS),
    Command("language", N_("Language: English, Español, 中文"), N_("choose my language"), DATA),
    Command("privacy", N_("What is stored; /export, /delete"), N_("what is stored and why"), DATA),
    Command("export", None, N_("a copy of everything stored about you"), DATA),
    Command("delete", None, N_("erase everything stored about you"), DATA),
    Command("help", N_("What I can do"), None),
    Command("start", N_("Start again"), None),
    Command(
        "broadcast",
        N_("Staff: send a message to patients"),
        N_("send a message to patients"),
        STAFF,
        permission=Permission.BROADCASTS,
    ),
    Command(
        "broadcasts",
        N_("Staff: recent broadcasts"),
        N_("recent broadcasts and their counts"),
        STAFF,
        permission=Permission.BROADCASTS,
    ),
    Command(
        "prescribe",
        N_("Staff: write a home programme for patients"),
        N_("write a home programme (points, holds, days, course) and get its link and QR code"),
        STAFF,
        permission=Permission.PROGRAMMES,
    ),
    Command(
        "programmes",
        N_("Staff: home programmes, new links, edits"),
        N_("home programmes with how many patients started them; a new link, or edit"),
        STAFF,
        permission=Permission.PROGRAMMES,
    ),
    Command(
        "patients",
        N_("Staff: patients who share their progress"),
        N_("patients who share their progress with the clinic, with flags to look at"),
        STAFF,
        permission=Permission.CLINICIAN_VIEW,
    ),
    Command(
        "patient",
        N_("Staff: one patient: /patient 1"),
        N_(
            "one patient who shares: planned and done days, PEG and Roland-Morris scores, "
            "sore reports, a chart and a PDF: <code>/patient 1</code>"
        ),
        STAFF,
        permission=Permission.CLINICIAN_VIEW,
        argument=N_("number"),
    ),
    Command(
        "stats",
        N_("Staff: how the bot is used"),
        N_("how the bot is used, in numbers"),
        STAFF,
        permission=Permission.STATS,
    ),
    Command(
        "audit",
        N_("Staff: who looked at which patient"),
        N_("the last 30 entries of the audit log: staff views of a patient, role changes"),
        STAFF,
        permission=Permission.AUDIT,
    ),
    Command(
        "today",
        N_("Staff: today's visits"),
        N_(
            "today's visits in clinic time and what each patient answered; "
            "<code>/visit 12345</code> enters a visit for a patient"
        ),
        STAFF,
        permission=Permission.VISITS,
    ),
    Command(
        "staff",
        N_("Owners: clinic staff and their roles"),
        N_(
            "staff and their roles: <code>/staff add 12345</code> (or share their contact, "
            "or forward a message from them), <code>/staff remove 12345</code>"
        ),
        STAFF,
        permission=Permission.STAFF,
    ),
)


def _offered(command: Command, *, role: Role | None, booking: bool) -> bool:
    # /book with no link, phone or address would have nothing to show.
    allowed = command.permission is None or allows(role, command.permission)
    return allowed and (booking or command.name != "book")


def menu_commands(tr: Translator, *, role: Role | None, booking: bool = True) -> list[BotCommand]:
    """Telegram's command menu in one language: patients' commands, plus the role's staff ones."""
    return [
        BotCommand(command.name, tr._(command.menu))
        for command in COMMANDS
        if command.menu is not None and _offered(command, role=role, booking=booking)
    ]


def help_text(tr: Translator, *, role: Role | None, booking: bool = True) -> str:
    """/help: each command's line under its section, staff commands as the role allows."""
    lines = ["<b>" + tr._("What I can do") + "</b>"]
    section: str | None = None
    for command in COMMANDS:
        if command.help is None or not _offered(command, role=role, booking=booking):
            continue
        if command.section != section:
            section = command.section
            lines.append(f"\n<b>{tr._(section)}</b>" if section else "")
        argument = f" <i>{tr._(command.argument)}</i>" if command.argument else ""
        lines.append(f"/{command.name}{argument} — {tr._(command.help)}")
    lines += [
        "",
        tr._(
            "You can also just write in your own words: a point's name (<i>kidney 3</i>), "
            "what bothers you (<i>sciatica</i>), or <i>remind me at 8</i>."
        ),
    ]
    return "\n".join(lines)


# The bot's profile texts (`set_my_description`, `set_my_short_description`).
DESCRIPTION = N_(
    "Acupressure for low back pain, from {clinic}: look up a point (/point UB40) for a "
    "card with a picture, get a daily reminder at your own time with a short guided "
    "routine, and see your progress. Red flags are always answered first. General "
    "health information, not a diagnosis."
)
# Telegram's limits (setMyDescription, setMyShortDescription).
MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION = 512, 120
SHORT_DESCRIPTION = N_("{clinic}'s acupressure helper for low back pain.")


async def set_bot_profile(app: AcubotApp) -> None:
    """The command menu, description and short description, once per language.

    English is the default Telegram shows for every language without its own;
    Spanish and Chinese apps get theirs (`language_code`).
    """
    settings = app.bot_data.settings
    bot = app.bot
    for language, tr in translators().items():
        code = None if language == DEFAULT_LANGUAGE else language
        clinic = tr._(settings.clinic_name)
        await bot.set_my_commands(
            menu_commands(tr, role=None, booking=settings.has_booking_info), language_code=code
        )
        try:  # the profile texts are a courtesy: a refusal never stops the bot starting
            await bot.set_my_description(
                _fit(tr._(DESCRIPTION, clinic=clinic), MAX_DESCRIPTION), language_code=code
            )
            await bot.set_my_short_description(
                _fit(tr._(SHORT_DESCRIPTION, clinic=clinic), MAX_SHORT_DESCRIPTION),
                language_code=code,
            )
        except TelegramError as error:
            log.warning("Could not set the bot's %s description: %s", language, error)


def _fit(text: str, limit: int) -> str:
    """Telegram's length limit, cut at a word with an ellipsis when a clinic's name is long."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
