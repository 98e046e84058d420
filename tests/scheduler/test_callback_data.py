"""The callback-data codec: round trips, refusals, Unicode digits, Telegram's 64 bytes."""

from __future__ import annotations

import sys
import unicodedata
import zoneinfo
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content.catalogue import load_catalogue
from content.languages import LANGUAGES
from handlers.consent import CONSENT_TEXT_VERSION
from scheduler import callback_data as cb
from scheduler.numbers import ascii_int
from scheduler.prescription import COURSE_CHOICES, HOLD_CHOICES, Step
from scheduler.time_input import parse_time_of_day
from storage.broadcasts import Audience
from storage.checkins import CheckInKind
from storage.patient_summary import REPORT_WEEKS
from storage.programmes import MAX_STEPS, Schedule
from storage.staff import Role

# Every character Python calls a digit that is not 0-9: "²", "٣", "①" and hundreds more.
UNICODE_DIGITS = [
    chr(code)
    for code in range(sys.maxunicode + 1)
    if chr(code).isdigit() and not "0" <= chr(code) <= "9"
]
unicode_digit = st.sampled_from(UNICODE_DIGITS)

ids = st.integers(min_value=1, max_value=cb.MAX_ID)
routine_ids = st.from_regex(r"[a-z0-9_]{1,32}", fullmatch=True)
buttons = st.one_of(
    st.builds(
        cb.PointButton, st.from_regex(r"[A-Z]{2}[0-9]{1,2}|EX-[A-Z]{1,2}[0-9]", fullmatch=True)
    ),
    st.builds(cb.MeridianButton, st.from_regex(r"[A-Z]{2}", fullmatch=True)),
    st.builds(cb.MenuButton, st.sampled_from(cb.MENU_CHOICES)),
    st.builds(cb.SubscribeButton, st.sampled_from(cb.SUBSCRIBE_ACTIONS)),
    st.builds(
        cb.SubscribeButton,
        st.just("t"),
        st.builds(lambda h, m: f"{h:02}{m:02}", st.integers(0, 23), st.integers(0, 59)),
    ),
    st.builds(
        cb.SubscribeButton, st.just("z"), st.sampled_from(sorted(zoneinfo.available_timezones()))
    ),
    st.builds(cb.SettingsButton, st.sampled_from(cb.SETTINGS_ACTIONS)),
    st.builds(cb.SettingsButton, st.just("routine"), routine_ids),
    st.builds(
        cb.RoutineButton,
        routine_ids,
        st.integers(0, cb.MAX_ROUTINE_STEPS),
        st.sampled_from(cb.ROUTINE_ACTIONS),
    ),
    st.builds(cb.ReminderButton, st.sampled_from(cb.REMINDER_ACTIONS), ids),
    st.builds(
        cb.CheckInButton,
        st.sampled_from(list(CheckInKind)),
        st.dates(min_value=date(1000, 1, 1)),
        st.integers(0, 10),
    ),
    st.builds(cb.BroadcastCancelButton, ids),
    st.builds(cb.BroadcastDraftButton, st.sampled_from(cb.BROADCAST_ACTIONS)),
    st.builds(
        cb.BroadcastDraftButton, st.just("btn"), st.sampled_from(cb.BROADCAST_BUTTON_CHOICES)
    ),
    st.builds(
        cb.BroadcastDraftButton, st.just("aud"), st.sampled_from([a.value for a in Audience])
    ),
    st.builds(cb.BroadcastDraftButton, st.just("back"), st.sampled_from(cb.BROADCAST_STEPS)),
    st.builds(cb.BroadcastDraftButton, st.just("e"), st.sampled_from(cb.BROADCAST_EDITS)),
    st.builds(cb.PrivacyButton, st.sampled_from(cb.PRIVACY_ACTIONS)),
    st.builds(cb.SoreButton, routine_ids),
    st.builds(cb.PregnancyButton, st.booleans()),
    st.builds(cb.RedFlagButton, st.booleans()),
    st.builds(cb.LanguageButton, st.sampled_from(LANGUAGES)),
    st.builds(cb.PrescribeButton, st.sampled_from(cb.PRESCRIBE_ACTIONS)),
    st.builds(cb.PrescribeButton, st.just("back"), st.sampled_from(list(Step))),
    st.builds(cb.PrescribeButton, st.just("mer"), st.from_regex(r"[A-Z]{2}", fullmatch=True)),
    st.builds(
        cb.PrescribeButton,
        st.just("pt"),
        st.from_regex(r"[A-Z]{2}[0-9]{1,2}|EX-[A-Z]{1,2}[0-9]", fullmatch=True),
    ),
    st.builds(cb.PrescribeButton, st.just("sch"), st.sampled_from(list(Schedule))),
    st.builds(cb.PrescribeButton, st.just("link"), st.sampled_from(cb.PRESCRIBE_LINK_KINDS)),
    st.builds(cb.PrescribeButton, st.just("wd"), st.integers(0, 6).map(str)),
    st.builds(cb.PrescribeButton, st.just("dpw"), st.integers(1, 7).map(str)),
    st.builds(cb.PrescribeButton, st.just("times"), st.integers(1, 2).map(str)),
    st.builds(cb.PrescribeButton, st.just("wk"), st.integers(1, 26).map(str)),
    st.builds(
        cb.PrescribeButton,
        st.just("hold"),
        st.integers(10, 180).map(str),
        st.integers(0, MAX_STEPS - 1),
    ),
    st.builds(
        cb.PrescribeButton,
        st.sampled_from(["nkeep", "nskip"]),
        st.just(""),
        st.integers(0, MAX_STEPS - 1),
    ),
    st.builds(cb.ProgrammeButton, st.sampled_from(cb.PROGRAMME_ACTIONS), ids),
    st.builds(cb.EnrolButton, st.sampled_from(cb.ENROL_ACTIONS)),
    st.builds(cb.EnrolButton, st.just("day"), st.sampled_from("0123456")),
    st.builds(
        cb.EnrolButton,
        st.just("t"),
        st.builds(lambda h, m: f"{h:02}{m:02}", st.integers(0, 23), st.integers(0, 59)),
    ),
    st.builds(
        cb.EnrolButton, st.just("z"), st.sampled_from(sorted(zoneinfo.available_timezones()))
    ),
    st.builds(cb.MyProgrammeButton, st.sampled_from(cb.MY_PROGRAMME_ACTIONS)),
    st.builds(
        cb.MyProgrammeButton,
        st.sampled_from(cb.PROGRAMME_VERSION_ACTIONS),
        st.integers(1, 999_999_999),
    ),
    st.builds(cb.KeepRemindersButton, ids),
    st.builds(
        cb.ConsentButton,
        st.booleans(),
        st.from_regex(r"[a-z0-9][a-z0-9-]{0,31}", fullmatch=True),
    ),
    st.builds(cb.StaffButton, st.just("add"), ids, st.sampled_from(list(Role))),
    st.builds(cb.StaffButton, st.just("rm"), ids),
    st.builds(cb.StaffButton, st.just("cancel")),
    st.builds(
        cb.QuestionnaireButton,
        ids,
        st.integers(0, cb.MAX_QUESTIONNAIRE_ITEMS),
        st.none() | st.integers(0, 10),
    ),
    st.builds(cb.QuestionnaireChoiceButton, st.sampled_from(cb.QUESTIONNAIRE_CHOICES)),
    st.builds(cb.ReportButton, st.sampled_from(REPORT_WEEKS)),
    st.builds(cb.PatientReportButton, ids, st.sampled_from(REPORT_WEEKS)),
    st.builds(cb.VisitButton, st.sampled_from(cb.VISIT_ACTIONS), ids),
    st.builds(cb.VisitPatientButton, ids),
    st.builds(cb.VisitEntryButton, st.sampled_from(cb.VISIT_ENTRY_ACTIONS)),
)


@given(buttons)
def test_every_button_round_trips_within_64_bytes(button: cb.Button) -> None:
    data = cb.encode(button)
    assert len(data.encode()) <= cb.MAX_BYTES
    assert cb.decode(data) == button
    assert cb.decode_as(data, type(button)) == button
    assert data.startswith(cb.PREFIXES[type(button)] + ":")


@given(st.text(max_size=80))
def test_any_text_decodes_to_a_button_or_none_and_only_in_its_own_spelling(data: str) -> None:
    button = cb.decode(data)
    if button is not None:
        assert cb.encode(button) == data


@given(buttons, st.data())
def test_a_changed_character_never_crashes_the_decoder(
    button: cb.Button, data: st.DataObject
) -> None:
    text = cb.encode(button)
    at = data.draw(st.integers(0, len(text) - 1))
    forged = text[:at] + data.draw(st.one_of(unicode_digit, st.characters())) + text[at + 1 :]
    decoded = cb.decode(forged)
    assert decoded is None or cb.encode(decoded) == forged


@given(unicode_digit)
def test_unicode_digits_are_refused_in_every_number_field(digit: str) -> None:
    forged = [
        f"rem:done:{digit}",
        f"rem:done:1{digit}",
        f"chk:pain:20261201:{digit}",
        f"chk:pain:2026120{digit}:5",
        f"rtn:clinic:{digit}:show",
        f"bc:cancel:{digit}",
        f"prog:keep:{digit}",
        f"sub:t:07{digit}0",
        f"pt:BL4{digit}",
        f"prx:hold:{digit}:60",
        f"prx:hold:1:6{digit}",
        f"prx:wk:{digit}",
        f"prx:wd:{digit}",
        f"prx:nskip:{digit}",
        f"prg:edit:{digit}",
        f"stf:rm:{digit}",
        f"stf:add:owner:1{digit}",
        f"qn:{digit}:0:5",
        f"qn:1:{digit}:5",
        f"qn:1:0:{digit}",
    ]
    for data in forged:
        assert cb.decode(data) is None, data


ascii_digits = st.text(alphabet="0123456789", max_size=3)


@given(ascii_digits, unicode_digit, ascii_digits)
def test_ascii_int_refuses_any_number_with_a_unicode_digit(
    before: str, digit: str, after: str
) -> None:
    text = before + digit + after
    assert ascii_int(text) is None
    assert ascii_int(f" {text} ".strip()) is None


@given(st.integers(0, 10**19 - 1))
def test_ascii_int_reads_plain_numbers(number: int) -> None:
    assert ascii_int(str(number)) == number
    assert ascii_int(str(number), leading_zeros=False) == number


def test_the_unicode_digit_list_has_the_forged_characters() -> None:
    assert {"²", "٣", "①", "𝟕"} <= set(UNICODE_DIGITS)
    assert all(unicodedata.digit(c, None) is not None or c.isdigit() for c in UNICODE_DIGITS[:50])


@pytest.mark.parametrize(
    "data",
    [
        "",
        "rem",
        "rem:",
        "rem::",
        "rem:done",
        "rem:done:0",
        "rem:done:007",
        "rem:done:-1",
        "rem:done: 1",
        "rem:done:1:2",
        "rem:nap:1",
        f"rem:done:{cb.MAX_ID + 1}",
        "chk:pain:20261301:5",
        "chk:pain:20260230:5",
        "chk:pain:20261201:11",
        "chk:mood:20261201:5",
        "chk:pain:2026-12-01:5",
        "rtn:clinic:1:dance",
        "rtn:Clinic:1:show",
        "rtn:clinic:1000:show",
        "bc:cancel:",
        "bc:cancel:x",
        "bc:1",
        "bcx:btn:maybe",
        "bcx:aud:everyone",
        "sub:t:2400",
        "sub:t:0760",
        "sub:t:700",
        "sub:z:Europe/../etc",
        "sub:z:",
        "set:routine:",
        "set:routine:a:b",
        "priv:maybe",
        "menu:nothing",
        "pt:XX",
        "pt:bl40",
        "mer:BLX",
        "nope:1",
        "pt:" + "A" * 70,
        "prx:dance",
        "prx:back:somewhere",
        "prx:hold:0:9",
        "prx:hold:0:181",
        "prx:hold:0:060",
        "prx:hold:12:60",
        "prx:hold:60",
        "prx:nskip:12",
        "prx:nskip:01",
        "prx:wd:7",
        "prx:dpw:0",
        "prx:dpw:8",
        "prx:times:3",
        "prx:wk:0",
        "prx:wk:27",
        "prx:wk:06",
        "prx:sch:monthly",
        "prx:link:some",
        "prx:pt:bl23",
        "prx:mer:bl",
        "prx:cancel:1",
        "prg:edit:0",
        "prg:edit:x",
        "prg:delete:1",
        "prg:edit",
    ],
)
def test_refused(data: str) -> None:
    assert cb.decode(data) is None


def test_encode_refuses_what_it_could_not_read_back() -> None:
    for bad in (
        cb.ReminderButton("done", 0),
        cb.RoutineButton("clinic", 1, "dance"),
        cb.SubscribeButton("z", "Not a zone!"),
        cb.PointButton("BL40:1"),
    ):
        with pytest.raises(cb.CallbackDataError):
            cb.encode(bad)


def test_every_callback_the_bot_builds_fits_64_bytes() -> None:
    """Each button the bot can make, from the real catalogue and the zone database."""
    catalogue = load_catalogue()
    built: list[cb.Button] = [cb.MenuButton(choice) for choice in cb.MENU_CHOICES]
    built += [cb.PointButton(point.code) for point in catalogue.points]
    built += [cb.MeridianButton(point.meridian) for point in catalogue.points]
    built += [cb.MeridianButton(meridian.code) for meridian in catalogue.meridians]
    for routine in catalogue.routines:
        built.append(cb.SettingsButton("routine", routine.id))
        for step in range(len(catalogue.routine_steps(routine.id)) + 1):
            built += [cb.RoutineButton(routine.id, step, a) for a in cb.ROUTINE_ACTIONS]
    built += [cb.SubscribeButton(a) for a in cb.SUBSCRIBE_ACTIONS]
    built += [cb.SubscribeButton("t", f"{h:02}{m:02}") for h in range(24) for m in range(60)]
    built += [cb.SubscribeButton("z", zone) for zone in zoneinfo.available_timezones()]
    built += [cb.ReminderButton(a, cb.MAX_ID) for a in cb.REMINDER_ACTIONS]
    built += [
        cb.CheckInButton(kind, date(9999, 12, 31), score)
        for kind in CheckInKind
        for score in range(11)
    ]
    built.append(cb.BroadcastCancelButton(cb.MAX_ID))
    built.append(cb.KeepRemindersButton(cb.MAX_ID))
    built += [
        cb.QuestionnaireButton(cb.MAX_ID, cb.MAX_QUESTIONNAIRE_ITEMS, answer)
        for answer in [None, *range(11)]
    ]
    built += [cb.QuestionnaireChoiceButton(c) for c in cb.QUESTIONNAIRE_CHOICES]
    built += [cb.BroadcastDraftButton(a) for a in cb.BROADCAST_ACTIONS]
    built += [cb.BroadcastDraftButton("btn", c) for c in cb.BROADCAST_BUTTON_CHOICES]
    built += [cb.BroadcastDraftButton("aud", a.value) for a in Audience]
    built += [cb.BroadcastDraftButton("back", s) for s in cb.BROADCAST_STEPS]
    built += [cb.BroadcastDraftButton("e", e) for e in cb.BROADCAST_EDITS]
    built += [cb.PrivacyButton(a) for a in cb.PRIVACY_ACTIONS]
    built += [cb.SoreButton(routine.id) for routine in catalogue.routines]
    built += [cb.PregnancyButton(flag) for flag in (True, False)]
    built += [cb.RedFlagButton(flag) for flag in (True, False)]
    built += [cb.LanguageButton(language) for language in LANGUAGES]
    built += [cb.PrescribeButton(a) for a in cb.PRESCRIBE_ACTIONS]
    built += [cb.PrescribeButton("back", step) for step in Step]
    built += [cb.PrescribeButton("mer", point.meridian) for point in catalogue.points]
    built += [cb.PrescribeButton("pt", point.code) for point in catalogue.points]
    built += [cb.PrescribeButton("sch", schedule) for schedule in Schedule]
    built += [cb.PrescribeButton("link", kind) for kind in cb.PRESCRIBE_LINK_KINDS]
    built += [cb.PrescribeButton("wd", str(day)) for day in range(7)]
    built += [cb.PrescribeButton("dpw", str(days)) for days in range(1, 8)]
    built += [cb.PrescribeButton("times", str(times)) for times in (1, 2)]
    built += [cb.PrescribeButton("wk", str(weeks)) for weeks in COURSE_CHOICES]
    built += [
        cb.PrescribeButton("hold", str(hold), place)
        for hold in (*HOLD_CHOICES, 10, 180)
        for place in range(MAX_STEPS)
    ]
    built += [cb.PrescribeButton(a, "", MAX_STEPS - 1) for a in ("nkeep", "nskip")]
    built += [cb.ProgrammeButton(a, cb.MAX_ID) for a in cb.PROGRAMME_ACTIONS]
    # A home programme's routine: up to MAX_STEPS points, and the steps' "finish".
    built += [
        cb.RoutineButton("programme", step, a)
        for step in range(MAX_STEPS + 1)
        for a in cb.ROUTINE_ACTIONS
    ]
    built.append(cb.SoreButton("programme"))
    built += [cb.EnrolButton(a) for a in cb.ENROL_ACTIONS]
    built += [cb.EnrolButton("day", str(day)) for day in range(7)]
    built += [cb.EnrolButton("t", f"{h:02}{m:02}") for h in range(24) for m in range(60)]
    built += [cb.EnrolButton("z", zone) for zone in zoneinfo.available_timezones()]
    built += [cb.MyProgrammeButton(a) for a in cb.MY_PROGRAMME_ACTIONS]
    built += [cb.MyProgrammeButton(a, 999_999_999) for a in cb.PROGRAMME_VERSION_ACTIONS]
    built += [cb.ConsentButton(shares, CONSENT_TEXT_VERSION) for shares in (True, False)]
    built += [cb.StaffButton("add", cb.MAX_ID, role) for role in Role]
    built += [cb.StaffButton("rm", cb.MAX_ID), cb.StaffButton("cancel")]
    built += [cb.ReportButton(weeks) for weeks in REPORT_WEEKS]
    built += [cb.PatientReportButton(cb.MAX_ID, weeks) for weeks in REPORT_WEEKS]
    built += [cb.VisitButton(a, cb.MAX_ID) for a in cb.VISIT_ACTIONS]
    built.append(cb.VisitPatientButton(cb.MAX_ID))
    built += [cb.VisitEntryButton(a) for a in cb.VISIT_ENTRY_ACTIONS]
    longest = max(built, key=lambda button: len(cb.encode(button).encode()))
    assert len(cb.encode(longest).encode()) <= cb.MAX_BYTES, longest
    assert {type(button) for button in built} == set(cb.PREFIXES)


@given(ascii_digits, unicode_digit, st.sampled_from(["", ":30", "30", " pm", "h"]))
def test_typed_times_read_only_ascii_digits(before: str, digit: str, after: str) -> None:
    """Full-width and superscript digits are ASCII ones after NFKC; other scripts' are refused.

    A digit whose NFKC form is ASCII text ("⒈" is "1.") is read as that text.
    """
    parsed = parse_time_of_day(before + digit + after)
    compatible = unicodedata.normalize("NFKC", digit)
    if compatible.isascii():
        assert parsed == parse_time_of_day(before + compatible + after)
    else:
        assert parsed.value is None and parsed.problem


def test_a_lone_surrogate_is_refused_not_crashed_on() -> None:
    assert cb.decode("\ud800enu:points") is None
    assert cb.decode("menu:\udfffpoints") is None


def test_programme_buttons_refuse_what_they_do_not_write() -> None:
    assert cb.decode("enr:day:3") == cb.EnrolButton("day", "3")
    assert cb.decode("pgm:accept:2") == cb.MyProgrammeButton("accept", 2)
    for data in (
        "enr:day:7",
        "enr:day:03",
        "enr:day",
        "enr:t:2460",
        "enr:nope",
        "pgm:accept:0",
        "pgm:accept:02",
        "pgm:accept",
        "pgm:see:1234567890",
        "pgm:leave:1",
        "pgm:what",
    ):
        assert cb.decode(data) is None, data


def test_keep_reminders_round_trips_and_refuses_bad_ids() -> None:
    assert cb.encode(cb.KeepRemindersButton(42)) == "prog:keep:42"
    assert cb.decode("prog:keep:42") == cb.KeepRemindersButton(42)
    for bad in ("prog:keep:", "prog:keep:0", "prog:keep:042", "prog:keep:4:2", "prog:keep:x"):
        assert cb.decode(bad) is None, bad


@pytest.mark.parametrize(
    "data",
    [
        "stf:add:boss:5",  # no such role
        "stf:add:owner:0",
        "stf:add:owner:-5",
        "stf:add:owner",
        "stf:rm:",
        "stf:rm:007",
        "stf:rm:5:owner",
        "stf:cancel:5",
        "cns:2:2026-12-share-v1",
        "cns:1:",
        "cns:1:Bad Version",
        "cns:1",
    ],
)
def test_forged_staff_and_consent_buttons_are_refused(data: str) -> None:
    assert cb.decode(data) is None


def test_the_longest_staff_button_fits() -> None:
    data = cb.encode(cb.StaffButton("add", cb.MAX_ID, Role.FRONT_DESK))
    assert data == f"stf:add:front_desk:{cb.MAX_ID}" and len(data) <= cb.MAX_BYTES


def test_questionnaire_buttons_round_trip_and_refuse_what_they_do_not_write() -> None:
    assert cb.encode(cb.QuestionnaireButton(7, 0, 10)) == "qn:7:0:10"
    assert cb.encode(cb.QuestionnaireButton(7, 23, None)) == "qn:7:23:s"
    assert cb.decode("qn:7:23:s") == cb.QuestionnaireButton(7, 23, None)
    assert cb.decode("qnc:resume") == cb.QuestionnaireChoiceButton("resume")
    for bad in (
        "qn:7:0:11",
        "qn:7:0:-1",
        "qn:0:0:1",
        "qn:07:0:1",
        "qn:7:100:1",
        "qn:7:01:1",
        "qn:7:0:S",
        "qn:7:0",
        "qn:7:0:1:2",
        "qnc:odi",
        "qnc:",
    ):
        assert cb.decode(bad) is None, bad


def test_report_buttons_name_only_the_periods_offered() -> None:
    assert cb.encode(cb.ReportButton(4)) == "rpt:4"
    assert cb.decode("rpt:6") == cb.ReportButton(6)
    for bad in ("rpt:5", "rpt:04", "rpt:", "rpt:4:1", "rpt:x", "rpt:٤", "rpt:999999"):
        assert cb.decode(bad) is None, bad


def test_patient_report_buttons_name_a_number_and_a_period_offered() -> None:
    assert cb.encode(cb.PatientReportButton(1, 6)) == "pat:1:6"
    assert cb.decode("pat:12:4") == cb.PatientReportButton(12, 4)
    for bad in (
        "pat:1:5",
        "pat:0:4",
        "pat:01:4",
        "pat:-1:4",
        "pat:1",
        "pat:1:4:4",
        "pat:x:4",
        "pat:1:٤",
        "pat:١:4",
        f"pat:{cb.MAX_ID + 1}:4",
    ):
        assert cb.decode(bad) is None, bad


@pytest.mark.parametrize(
    "data",
    [
        "vis:ok",
        "vis:ok:0",
        "vis:ok:007",
        "vis:ok:-1",
        "vis:ok:٣",
        "vis:maybe:5",
        "vis:ok:5:6",
        f"vis:ok:{cb.MAX_ID + 1}",
        "visp:",
        "visp:abc",
        "visp:1:2",
        "vise:",
        "vise:maybe",
        "vise:save:1",
    ],
)
def test_forged_visit_buttons_are_refused(data: str) -> None:
    assert cb.decode(data) is None


def test_visit_buttons_read_back() -> None:
    assert cb.decode("vis:cancel_yes:42") == cb.VisitButton("cancel_yes", 42)
    assert cb.decode("visp:7") == cb.VisitPatientButton(7)
