"""Every button's callback data: one typed codec, one module that knows every prefix.

A button carries a short string back to the bot (Telegram allows 64 bytes).
Each kind of button is a frozen dataclass here; `encode` writes it and
`decode` reads it back, or returns None for anything it does not know:
an unknown prefix, a wrong number of fields, an action that does not exist,
a number that is not plain ASCII digits ("²" and "٣" are refused, not
crashed on), or a spelling `encode` would not write (such as "007"). Data is
versionless: the formats below are what buttons already on patients' phones
carry, so they must keep decoding.

The module lives in scheduler/ because the reminder, check-in and broadcast
messages are built here as well as in handlers/; it imports no Telegram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from content.languages import Language, is_language
from scheduler.numbers import ascii_int
from scheduler.prescription import Step
from storage.broadcasts import Audience
from storage.checkins import CheckInKind
from storage.patient_summary import REPORT_WEEKS
from storage.programmes import COURSE_WEEKS, HOLD_SECONDS, MAX_STEPS, Schedule
from storage.staff import Role

MAX_BYTES = 64  # Telegram's limit for callback_data
_SEPARATOR = ":"
# The shapes of the names buttons carry (ASCII only, never the separator).
_POINT_CODE = re.compile(r"[A-Z]{2}[0-9]{1,2}|EX-[A-Z]{1,2}[0-9]{1,2}")
_MERIDIAN_CODE = re.compile(r"[A-Z]{2}")
_ROUTINE_ID = re.compile(r"[a-z0-9_]{1,32}")
_TEXT_VERSION = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")


@dataclass(frozen=True, slots=True)
class PointButton:
    """`pt:<code>`: a point's card."""

    code: str


@dataclass(frozen=True, slots=True)
class MeridianButton:
    """`mer:<code>`: a meridian and its points."""

    code: str


MENU_CHOICES = ("points", "meridians", "safety", "book")


@dataclass(frozen=True, slots=True)
class MenuButton:
    """`menu:<choice>`: the main menu's points, meridians and safety."""

    choice: str


SUBSCRIBE_ACTIONS = ("begin", "cancel", "zone", "time", "ok", "back")


@dataclass(frozen=True, slots=True)
class SubscribeButton:
    """The /remind flow: `sub:<action>`, `sub:t:<HHMM>` (a preset time), `sub:z:<zone>`."""

    action: str  # one of SUBSCRIBE_ACTIONS, or "t" / "z" with a value
    value: str = ""


SETTINGS_ACTIONS = ("change", "pause", "resume", "stop")


@dataclass(frozen=True, slots=True)
class SettingsButton:
    """/settings: `set:<action>`, or `set:routine:<routine id>`."""

    action: str  # one of SETTINGS_ACTIONS, or "routine" with a routine id
    routine: str = ""


ROUTINE_ACTIONS = ("show", "hold", "stop")
MAX_ROUTINE_STEPS = 999


@dataclass(frozen=True, slots=True)
class RoutineButton:
    """The guided routine: `rtn:<routine id>:<step>:<action>` (no stored state)."""

    routine: str
    step: int
    action: str


REMINDER_ACTIONS = ("go", "done", "s30", "s60", "skip", "stop")
MAX_ID = 2**63 - 1  # database ids are 64-bit integers


@dataclass(frozen=True, slots=True)
class ReminderButton:
    """Under a daily reminder: `rem:<action>:<delivery id>`."""

    action: str
    delivery_id: int


@dataclass(frozen=True, slots=True)
class CheckInButton:
    """A 0-10 answer: `chk:<kind>:<YYYYMMDD the question was asked>:<score>`."""

    kind: CheckInKind
    asked_on: date
    score: int


@dataclass(frozen=True, slots=True)
class BroadcastCancelButton:
    """Staff, on a broadcast's progress message: `bc:cancel:<broadcast id>`."""

    broadcast_id: int


BROADCAST_ACTIONS = ("send", "later", "edit", "cancel", "now")
BROADCAST_BUTTON_CHOICES = ("book", "custom", "none")
# ◀ Back names the step it was shown on, so a Back from an older message is refused.
BROADCAST_STEPS = (
    "message", "button", "button_label", "button_url", "audience", "preview", "send_at", "edit",
)  # fmt: skip
# ✏️ Edit: the one thing to change.
BROADCAST_EDITS = ("message", "button", "audience", "time")


@dataclass(frozen=True, slots=True)
class BroadcastDraftButton:
    """Staff composing a broadcast: `bcx:<action>`, `bcx:btn:<choice>`, `bcx:aud:<audience>`,
    `bcx:back:<step>`, `bcx:e:<what to edit>`."""

    action: str  # one of BROADCAST_ACTIONS, or "btn" / "aud" / "back" / "e" with a value
    value: str = ""


PRIVACY_ACTIONS = ("delete", "keep")


@dataclass(frozen=True, slots=True)
class PrivacyButton:
    """/delete's confirmation: `priv:delete` or `priv:keep`."""

    action: str


@dataclass(frozen=True, slots=True)
class SoreButton:
    """After the guided routine: `sore:<routine id>`, a "too sore / bruised" report."""

    routine: str


@dataclass(frozen=True, slots=True)
class PregnancyButton:
    """/pregnancy and "I'm pregnant": `preg:1` (pregnant) or `preg:0` (not)."""

    pregnant: bool


@dataclass(frozen=True, slots=True)
class RedFlagButton:
    """After a pain score of 8-10, "any of these signs?": `rf:1` (yes) or `rf:0` (no)."""

    present: bool


@dataclass(frozen=True, slots=True)
class LanguageButton:
    """/language: `lang:<code>`, one of the languages the bot speaks."""

    language: Language


# ---- staff writing a home programme (/prescribe, /programmes) ----

# Without a value: ✖ Cancel, ✅ Done (points, weekdays), the meridian list,
# Keep (the title or name shown), Skip (the note to the patient), open-ended, Confirm.
PRESCRIBE_ACTIONS = ("cancel", "done", "meridians", "keep", "skip", "open", "confirm")
PRESCRIBE_LINK_KINDS = ("one", "many")  # one patient (single use), or reusable


@dataclass(frozen=True, slots=True)
class PrescribeButton:
    """Staff writing a programme: `prx:<action>`, or `prx:<action>:<value>` for ◀ Back
    (`back:<step>`), a meridian (`mer:BL`), a point to toggle (`pt:BL23`), a schedule
    (`sch:daily`), a weekday to toggle (`wd:0`, Monday), days a week (`dpw:3`), reminders
    a day (`times:2`), a course (`wk:6`) and the link (`link:one`). A point's hold and
    note name the point's place in the list, so an older message's button cannot set
    another point's: `prx:hold:<place>:<seconds>`, `prx:nkeep:<place>`, `prx:nskip:<place>`."""

    action: str
    value: str = ""
    place: int | None = None


PROGRAMME_ACTIONS = ("link", "edit", "one", "many")


@dataclass(frozen=True, slots=True)
class ProgrammeButton:
    """/programmes: `prg:link:<id>` (then `prg:one:<id>` or `prg:many:<id>`), `prg:edit:<id>`."""

    action: str
    programme_id: int


ENROL_ACTIONS = ("days", "zone", "time", "back", "ok", "cancel")


@dataclass(frozen=True, slots=True)
class EnrolButton:
    """Starting a home programme (/start <code>): `enr:<action>`, `enr:day:<0-6>` (a weekday
    toggled, Monday 0), `enr:t:<HHMM>` (a preset time), `enr:z:<zone>`."""

    action: str  # one of ENROL_ACTIONS, or "day" / "t" / "z" with a value
    value: str = ""


MY_PROGRAMME_ACTIONS = ("leave", "leave_yes", "stay")
PROGRAMME_VERSION_ACTIONS = ("see", "accept")


@dataclass(frozen=True, slots=True)
class MyProgrammeButton:
    """/programme: `pgm:<action>`, or `pgm:see:<version>` / `pgm:accept:<version>` (the
    version shown, so an old Accept never takes a version the patient did not see)."""

    action: str  # one of MY_PROGRAMME_ACTIONS or PROGRAMME_VERSION_ACTIONS
    version: int = 0


@dataclass(frozen=True, slots=True)
class KeepRemindersButton:
    """Under a finished programme's summary: `prog:keep:<enrolment id>`."""

    enrolment_id: int


@dataclass(frozen=True, slots=True)
class ConsentButton:
    """Share my progress with the clinic, or not: `cns:1:<text version>` / `cns:0:<version>`.

    The version is the consent text the patient read, so an answer from an
    older message is recorded against the words they saw (or asked again)."""

    shares: bool
    text_version: str


STAFF_ACTIONS = ("add", "rm", "cancel")


@dataclass(frozen=True, slots=True)
class StaffButton:
    """Owners on /staff: `stf:add:<role>:<user id>`, `stf:rm:<user id>`, `stf:cancel`."""

    action: str  # one of STAFF_ACTIONS
    user_id: int = 0
    role: Role | None = None


MAX_QUESTIONNAIRE_ITEMS = 99  # the RMDQ has 24; two digits at most
QUESTIONNAIRE_SKIP = "s"


@dataclass(frozen=True, slots=True)
class QuestionnaireButton:
    """A questionnaire item's answer: `qn:<run id>:<item, 0-based>:<0-10, or s to skip>`.

    The run's stored next item decides whether the answer is taken: an old or
    forged button changes nothing."""

    run_id: int
    item: int
    answer: int | None  # None: skipped


QUESTIONNAIRE_CHOICES = ("peg", "rmdq", "resume")


@dataclass(frozen=True, slots=True)
class QuestionnaireChoiceButton:
    """/questionnaire: `qnc:peg`, `qnc:rmdq` or `qnc:resume` (the unfinished one)."""

    choice: str


@dataclass(frozen=True, slots=True)
class ReportButton:
    """/report: `rpt:<weeks>`, the period of the visit summary (4 or 6 weeks)."""

    weeks: int


@dataclass(frozen=True, slots=True)
class PatientReportButton:
    """Staff on /patient <n>: `pat:<patient number>:<weeks>`, that patient's summary PDF.

    The role and the patient's consent are checked again when it is pressed."""

    number: int
    weeks: int


VISIT_ACTIONS = ("ok", "move", "cancel", "cancel_yes", "keep")


@dataclass(frozen=True, slots=True)
class VisitButton:
    """A visit's buttons (its reminders, /visits, a new visit): `vis:<action>:<visit id>`.

    ok: I'll be there; move: I need to reschedule; cancel: asks to confirm,
    cancel_yes: cancels; keep: leaves it booked.
    """

    action: str  # one of VISIT_ACTIONS
    visit_id: int


VISIT_ENTRY_ACTIONS = ("save", "again")


@dataclass(frozen=True, slots=True)
class VisitEntryButton:
    """/visit, the typed time shown back: `vise:save` or `vise:again` (the step is stored)."""

    action: str  # one of VISIT_ENTRY_ACTIONS


@dataclass(frozen=True, slots=True)
class VisitPatientButton:
    """Staff on /visit, choosing a recent patient: `visp:<user id>`."""

    user_id: int


Button = (
    PointButton
    | MeridianButton
    | MenuButton
    | SubscribeButton
    | SettingsButton
    | RoutineButton
    | ReminderButton
    | CheckInButton
    | BroadcastCancelButton
    | BroadcastDraftButton
    | PrivacyButton
    | SoreButton
    | PregnancyButton
    | RedFlagButton
    | LanguageButton
    | PrescribeButton
    | ProgrammeButton
    | EnrolButton
    | MyProgrammeButton
    | KeepRemindersButton
    | ConsentButton
    | StaffButton
    | QuestionnaireButton
    | QuestionnaireChoiceButton
    | ReportButton
    | PatientReportButton
    | VisitButton
    | VisitEntryButton
    | VisitPatientButton
)
B = TypeVar(
    "B",
    PointButton,
    MeridianButton,
    MenuButton,
    SubscribeButton,
    SettingsButton,
    RoutineButton,
    ReminderButton,
    CheckInButton,
    BroadcastCancelButton,
    BroadcastDraftButton,
    PrivacyButton,
    SoreButton,
    PregnancyButton,
    RedFlagButton,
    LanguageButton,
    PrescribeButton,
    ProgrammeButton,
    EnrolButton,
    MyProgrammeButton,
    KeepRemindersButton,
    ConsentButton,
    StaffButton,
    QuestionnaireButton,
    QuestionnaireChoiceButton,
    ReportButton,
    PatientReportButton,
    VisitButton,
    VisitEntryButton,
    VisitPatientButton,
)

PREFIXES: dict[type, str] = {
    PointButton: "pt",
    MeridianButton: "mer",
    MenuButton: "menu",
    SubscribeButton: "sub",
    SettingsButton: "set",
    RoutineButton: "rtn",
    ReminderButton: "rem",
    CheckInButton: "chk",
    BroadcastCancelButton: "bc:cancel",
    BroadcastDraftButton: "bcx",
    PrivacyButton: "priv",
    SoreButton: "sore",
    PregnancyButton: "preg",
    RedFlagButton: "rf",
    LanguageButton: "lang",
    PrescribeButton: "prx",
    ProgrammeButton: "prg",
    EnrolButton: "enr",
    MyProgrammeButton: "pgm",
    KeepRemindersButton: "prog:keep",
    ConsentButton: "cns",
    StaffButton: "stf",
    QuestionnaireButton: "qn",
    QuestionnaireChoiceButton: "qnc",
    ReportButton: "rpt",
    PatientReportButton: "pat",
    VisitButton: "vis",
    VisitEntryButton: "vise",
    VisitPatientButton: "visp",
}


class CallbackDataError(ValueError):
    """A button the codec would not read back, or one over Telegram's 64 bytes."""


def _fields(button: Button) -> list[str]:
    match button:
        case PointButton(code) | MeridianButton(code):
            return [code]
        case MenuButton(choice):
            return [choice]
        case SubscribeButton(action, value) | BroadcastDraftButton(action, value):
            return [action, value] if value else [action]
        case SettingsButton(action, routine):
            return [action, routine] if routine else [action]
        case RoutineButton(routine, step, action):
            return [routine, str(step), action]
        case ReminderButton(action, delivery_id):
            return [action, str(delivery_id)]
        case CheckInButton(kind, asked_on, score):
            return [kind.value, f"{asked_on:%Y%m%d}", str(score)]
        case BroadcastCancelButton(broadcast_id):
            return [str(broadcast_id)]
        case KeepRemindersButton(enrolment_id):
            return [str(enrolment_id)]
        case PrivacyButton(action):
            return [action]
        case SoreButton(routine):
            return [routine]
        case PregnancyButton(flag) | RedFlagButton(flag):
            return ["1" if flag else "0"]
        case LanguageButton(language):
            return [language]
        case PrescribeButton(action, value, None):
            return [action, value] if value else [action]
        case PrescribeButton(action, value, place):
            return [action, str(place), value] if value else [action, str(place)]
        case ProgrammeButton(action, programme_id):
            return [action, str(programme_id)]
        case EnrolButton(action, value):
            return [action, value] if value else [action]
        case QuestionnaireButton(run_id, item, answer):
            return [str(run_id), str(item), QUESTIONNAIRE_SKIP if answer is None else str(answer)]
        case QuestionnaireChoiceButton(choice):
            return [choice]
        case MyProgrammeButton(action, version):
            return [action, str(version)] if action in PROGRAMME_VERSION_ACTIONS else [action]
        case ConsentButton(shares, text_version):
            return ["1" if shares else "0", text_version]
        case StaffButton("add", user_id, role) if role is not None:
            return ["add", role.value, str(user_id)]
        case StaffButton("rm", user_id, None):
            return ["rm", str(user_id)]
        case StaffButton(action, _, _):
            return [action]
        case ReportButton(weeks):
            return [str(weeks)]
        case PatientReportButton(number, weeks):
            return [str(number), str(weeks)]
        case VisitButton(action, visit_id):
            return [action, str(visit_id)]
        case VisitPatientButton(user_id):
            return [str(user_id)]
        case VisitEntryButton(action):
            return [action]


def encode(button: Button) -> str:
    """The callback data for `button`; raises CallbackDataError if it would not decode."""
    data = _SEPARATOR.join([PREFIXES[type(button)], *_fields(button)])
    if len(data.encode()) > MAX_BYTES:
        raise CallbackDataError(f"{len(data.encode())} bytes, over Telegram's {MAX_BYTES}")
    if decode(data) != button:
        raise CallbackDataError(f"{button!r} does not read back from {data!r}")
    return data


def decode(data: str | None) -> Button | None:
    """The button `data` names, or None for anything this codec does not write."""
    if not data:
        return None
    try:
        size = len(data.encode())
    except UnicodeEncodeError:  # a lone surrogate: nothing Telegram would carry
        return None
    if size > MAX_BYTES:
        return None
    for prefix, reader in _READERS.items():
        head = prefix + _SEPARATOR
        if data.startswith(head) and len(data) > len(head):
            return reader(data[len(head) :].split(_SEPARATOR))
    return None


def decode_as(data: str | None, kind: type[B]) -> B | None:
    """`decode`, but only a button of this kind (a handler's own prefix)."""
    button = decode(data)
    return button if isinstance(button, kind) else None


def pattern(kind: type[Button]) -> str:
    """The regex a CallbackQueryHandler registers for one kind: its prefix.

    The handler then decodes; a known prefix with unreadable data gets that
    feature's own "no longer available" answer rather than the generic one.
    """
    return "^" + re.escape(PREFIXES[kind] + _SEPARATOR)


def _id(text: str) -> int | None:
    number = ascii_int(text, leading_zeros=False)
    return number if number is not None and 0 < number <= MAX_ID else None


def _point(fields: list[str]) -> Button | None:
    match fields:
        case [code] if _POINT_CODE.fullmatch(code):
            return PointButton(code)
    return None


def _meridian(fields: list[str]) -> Button | None:
    match fields:
        case [code] if _MERIDIAN_CODE.fullmatch(code):
            return MeridianButton(code)
    return None


def _menu(fields: list[str]) -> Button | None:
    match fields:
        case [choice] if choice in MENU_CHOICES:
            return MenuButton(choice)
    return None


def _preset_time(hhmm: str) -> bool:
    return (
        len(hhmm) == 4 and ascii_int(hhmm) is not None and int(hhmm[:2]) < 24 and int(hhmm[2:]) < 60
    )


def _subscribe(fields: list[str]) -> Button | None:
    match fields:
        case [action] if action in SUBSCRIBE_ACTIONS:
            return SubscribeButton(action)
        case ["t", hhmm] if _preset_time(hhmm):
            return SubscribeButton("t", hhmm)
        case ["z", zone] if _ZONE_NAME.fullmatch(zone):
            return SubscribeButton("z", zone)
    return None


def _settings(fields: list[str]) -> Button | None:
    match fields:
        case [action] if action in SETTINGS_ACTIONS:
            return SettingsButton(action)
        case ["routine", routine] if _ROUTINE_ID.fullmatch(routine):
            return SettingsButton("routine", routine)
    return None


def _routine(fields: list[str]) -> Button | None:
    match fields:
        case [routine, step, action] if _ROUTINE_ID.fullmatch(routine) and (
            action in ROUTINE_ACTIONS
        ):
            number = ascii_int(step, max_digits=3, leading_zeros=False)
            return RoutineButton(routine, number, action) if number is not None else None
    return None


def _reminder(fields: list[str]) -> Button | None:
    match fields:
        case [action, delivery] if action in REMINDER_ACTIONS:
            delivery_id = _id(delivery)
            return ReminderButton(action, delivery_id) if delivery_id is not None else None
    return None


def _checkin(fields: list[str]) -> Button | None:
    match fields:
        case [kind, day, score] if kind in set(CheckInKind) and len(day) == 8:
            number = ascii_int(score, max_digits=2, leading_zeros=False)
            if ascii_int(day) is None or number is None or number > 10:
                return None
            try:
                asked_on = date(int(day[:4]), int(day[4:6]), int(day[6:]))
            except ValueError:  # 20261301, 20260230
                return None
            return CheckInButton(CheckInKind(kind), asked_on, number)
    return None


def _broadcast_cancel(fields: list[str]) -> Button | None:
    match fields:
        case [broadcast]:
            broadcast_id = _id(broadcast)
            return BroadcastCancelButton(broadcast_id) if broadcast_id is not None else None
    return None


def _keep_reminders(fields: list[str]) -> Button | None:
    match fields:
        case [enrolment]:
            enrolment_id = _id(enrolment)
            return KeepRemindersButton(enrolment_id) if enrolment_id is not None else None
    return None


def _broadcast_draft(fields: list[str]) -> Button | None:
    match fields:
        case [action] if action in BROADCAST_ACTIONS:
            return BroadcastDraftButton(action)
        case ["btn", choice] if choice in BROADCAST_BUTTON_CHOICES:
            return BroadcastDraftButton("btn", choice)
        case ["aud", audience] if audience in set(Audience):
            return BroadcastDraftButton("aud", audience)
        case ["back", step] if step in BROADCAST_STEPS:
            return BroadcastDraftButton("back", step)
        case ["e", what] if what in BROADCAST_EDITS:
            return BroadcastDraftButton("e", what)
    return None


def _privacy(fields: list[str]) -> Button | None:
    match fields:
        case [action] if action in PRIVACY_ACTIONS:
            return PrivacyButton(action)
    return None


def _sore(fields: list[str]) -> Button | None:
    match fields:
        case [routine] if _ROUTINE_ID.fullmatch(routine):
            return SoreButton(routine)
    return None


def _pregnancy(fields: list[str]) -> Button | None:
    match fields:
        case [("0" | "1") as flag]:
            return PregnancyButton(flag == "1")
    return None


def _red_flag(fields: list[str]) -> Button | None:
    match fields:
        case [("0" | "1") as flag]:
            return RedFlagButton(flag == "1")
    return None


def _language(fields: list[str]) -> Button | None:
    match fields:
        case [language] if is_language(language):
            return LanguageButton(language)
    return None


def _small(text: str, allowed: range) -> int | None:
    number = ascii_int(text, max_digits=3, leading_zeros=False)
    return number if number is not None and number in allowed else None


_PRESCRIBE_RANGES = {"wd": range(7), "dpw": range(1, 8), "times": range(1, 3), "wk": COURSE_WEEKS}


def _prescribe(fields: list[str]) -> Button | None:
    match fields:
        case [action] if action in PRESCRIBE_ACTIONS:
            return PrescribeButton(action)
        case ["back", step] if step in set(Step):
            return PrescribeButton("back", step)
        case ["mer", code] if _MERIDIAN_CODE.fullmatch(code):
            return PrescribeButton("mer", code)
        case ["pt", code] if _POINT_CODE.fullmatch(code):
            return PrescribeButton("pt", code)
        case ["sch", schedule] if schedule in set(Schedule):
            return PrescribeButton("sch", schedule)
        case ["link", kind] if kind in PRESCRIBE_LINK_KINDS:
            return PrescribeButton("link", kind)
        case [("wd" | "dpw" | "times" | "wk") as action, number]:
            if _small(number, _PRESCRIBE_RANGES[action]) is None:
                return None
            return PrescribeButton(action, number)
        case ["hold", place, seconds]:
            where, hold = _small(place, range(MAX_STEPS)), _small(seconds, HOLD_SECONDS)
            if where is None or hold is None:
                return None
            return PrescribeButton("hold", seconds, where)
        case [("nkeep" | "nskip") as action, place]:
            where = _small(place, range(MAX_STEPS))
            return PrescribeButton(action, "", where) if where is not None else None
    return None


def _programme(fields: list[str]) -> Button | None:
    match fields:
        case [action, programme] if action in PROGRAMME_ACTIONS:
            programme_id = _id(programme)
            return ProgrammeButton(action, programme_id) if programme_id is not None else None
    return None


def _enrol(fields: list[str]) -> Button | None:
    match fields:
        case [action] if action in ENROL_ACTIONS:
            return EnrolButton(action)
        case ["day", ("0" | "1" | "2" | "3" | "4" | "5" | "6") as day]:
            return EnrolButton("day", day)
        case ["t", hhmm] if _preset_time(hhmm):
            return EnrolButton("t", hhmm)
        case ["z", zone] if _ZONE_NAME.fullmatch(zone):
            return EnrolButton("z", zone)
    return None


def _my_programme(fields: list[str]) -> Button | None:
    match fields:
        case [action] if action in MY_PROGRAMME_ACTIONS:
            return MyProgrammeButton(action)
        case [action, version] if action in PROGRAMME_VERSION_ACTIONS:
            number = ascii_int(version, max_digits=9, leading_zeros=False)
            return MyProgrammeButton(action, number) if number else None
    return None


def _consent(fields: list[str]) -> Button | None:
    match fields:
        case [("0" | "1") as flag, version] if _TEXT_VERSION.fullmatch(version):
            return ConsentButton(flag == "1", version)
    return None


def _staff(fields: list[str]) -> Button | None:
    match fields:
        case ["cancel"]:
            return StaffButton("cancel")
        case ["add", role, user] if role in set(Role):
            user_id = _id(user)
            return StaffButton("add", user_id, Role(role)) if user_id is not None else None
        case ["rm", user]:
            user_id = _id(user)
            return StaffButton("rm", user_id) if user_id is not None else None
    return None


def _questionnaire(fields: list[str]) -> Button | None:
    match fields:
        case [run, item, answer]:
            run_id = _id(run)
            number = _small(item, range(MAX_QUESTIONNAIRE_ITEMS + 1))
            if run_id is None or number is None:
                return None
            if answer == QUESTIONNAIRE_SKIP:
                return QuestionnaireButton(run_id, number, None)
            value = _small(answer, range(11))
            return QuestionnaireButton(run_id, number, value) if value is not None else None
    return None


def _questionnaire_choice(fields: list[str]) -> Button | None:
    match fields:
        case [choice] if choice in QUESTIONNAIRE_CHOICES:
            return QuestionnaireChoiceButton(choice)
    return None


def _report(fields: list[str]) -> Button | None:
    match fields:
        case [weeks]:
            number = _small(weeks, range(1, 27))
            return ReportButton(number) if number in REPORT_WEEKS else None
    return None


def _patient_report(fields: list[str]) -> Button | None:
    match fields:
        case [patient, weeks]:
            number = _id(patient)
            period = _small(weeks, range(1, 27))
            if number is None or period is None or period not in REPORT_WEEKS:
                return None
            return PatientReportButton(number, period)
    return None


def _visit(fields: list[str]) -> Button | None:
    match fields:
        case [action, visit] if action in VISIT_ACTIONS:
            visit_id = _id(visit)
            return VisitButton(action, visit_id) if visit_id is not None else None
    return None


def _visit_entry(fields: list[str]) -> Button | None:
    match fields:
        case [action] if action in VISIT_ENTRY_ACTIONS:
            return VisitEntryButton(action)
    return None


def _visit_patient(fields: list[str]) -> Button | None:
    match fields:
        case [user]:
            user_id = _id(user)
            return VisitPatientButton(user_id) if user_id is not None else None
    return None


_READERS = {
    # Before any shorter "prog" prefix: the first prefix that matches reads the data.
    "prog:keep": _keep_reminders,
    "pt": _point,
    "mer": _meridian,
    "menu": _menu,
    "sub": _subscribe,
    "set": _settings,
    "rtn": _routine,
    "rem": _reminder,
    "chk": _checkin,
    "bc:cancel": _broadcast_cancel,
    "bcx": _broadcast_draft,
    "priv": _privacy,
    "sore": _sore,
    "preg": _pregnancy,
    "rf": _red_flag,
    "lang": _language,
    "prx": _prescribe,
    "prg": _programme,
    "enr": _enrol,
    "pgm": _my_programme,
    "cns": _consent,
    "stf": _staff,
    "qn": _questionnaire,
    "qnc": _questionnaire_choice,
    "rpt": _report,
    "pat": _patient_report,
    "visp": _visit_patient,
    "vise": _visit_entry,
    "vis": _visit,
}
