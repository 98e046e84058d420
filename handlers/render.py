"""Turns content into Telegram HTML messages and keyboards.

Every dynamic value passes through `html.escape`; every message fits
Telegram's 4096-character limit.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from content.catalogue import Catalogue
from content.names import other_codes
from content.schema import AvoidedPoint, Meridian, Point, Safety
from scheduler import callback_data as cb

MESSAGE_LIMIT = 4096
SOURCE_NAMES = {
    "WHO": "WHO Standard Acupuncture Point Locations (2008)",
    "DM": "Deadman et al., A Manual of Acupuncture",
    "GK": "the clinic's general guidance (not checked against a published source)",
    "ARTICLE": "our clinic's article on low back pain",
}


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Shortens text to Telegram's limit at a line break, never inside a tag."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return text[: cut if cut > 0 else limit - 2].rstrip() + "\n…"


def short(text: str, length: int = 40) -> str:
    """User input quoted back: printable characters only, bounded, escaped."""
    printable = "".join(char if char.isprintable() else " " for char in text).strip()
    if len(printable) > length:
        printable = printable[: length - 1] + "…"
    return escape(printable)


# About as many characters as a full-width inline button shows on a phone.
BUTTON_CHARS = 38


def point_label(point: Point) -> str:
    """A button label: code, pinyin and English name, or as much of it as fits."""
    for label in (
        f"{point.code} {point.pinyin} · {point.english}",
        f"{point.code} · {point.english}",
    ):
        if len(label) <= BUTTON_CHARS:
            return label
    return f"{point.code} {point.pinyin}"


def _one_per_row(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [[button] for button in buttons]


CAPTION_LIMIT = 1024
CLINIC_POINTS = "One of our clinic's five key points for low back pain"
CLINIC_MERIDIANS = "One of the three meridians our clinic's article describes"
# Channels the catalogue has points on but does not describe in full.
CHANNEL_NOTES = {
    "SI": (
        "Hand Taiyang Small Intestine channel. It runs from the tip of the little finger "
        "along the little-finger edge of the hand and arm, over the shoulder blade and up "
        "the neck, to end just in front of the ear."
    ),
    "EX": (
        "Extra points lie outside the main meridians. Each is named after where it sits "
        "or what it is used for."
    ),
}


def pregnancy_line(point: Point) -> str:
    """The caution that leads a flagged point's card while pregnancy is on."""
    return (
        f"🤰 <b>Pregnancy: {escape(point.code)} is traditionally avoided during pregnancy.</b> "
        "Please leave it out and ask your practitioner first."
    )


def point_caption(point: Point, catalogue: Catalogue, *, pregnant: bool = False) -> str:
    """The photo caption: the point's names and where to find it."""
    names = point.hanzi_traditional
    if point.hanzi_simplified != point.hanzi_traditional:
        names += f" / {point.hanzi_simplified}"
    lines = [pregnancy_line(point), ""] if pregnant and point.pregnancy_caution else []
    lines += [
        f"<b>{escape(point.code)} · {escape(point.pinyin)}</b> {escape(names)}",
        f"<i>{escape(point.english)}</i> · {escape(catalogue.channel_name(point.meridian))}",
    ]
    if also := other_codes(point):
        lines.append(f"Also written {escape(', '.join(also))}")
    if point.from_clinic_article:
        lines.append(f"⭐ {CLINIC_POINTS}")
    if point.article_name:
        lines.append(f"Our clinic's article calls it the “{escape(point.article_name)}”.")
    lines += ["", "📍 <b>Where to find it</b>", escape(point.location)]
    if point.count_note:
        lines.append(escape(point.count_note))
    elif not point.bilateral:
        lines.append("It is a single point on the midline.")
    else:
        lines.append("There is one on each side of the body.")
    return fit("\n".join(lines), CAPTION_LIMIT)


def point_details(point: Point, catalogue: Catalogue, *, pregnant: bool = False) -> str:
    """What follows the photo (which carries the point's names): uses, how to press, cautions."""
    lines: list[str] = []
    if pregnant and point.pregnancy_caution:
        lines += [pregnancy_line(point), ""]
    lines += ["💡 <b>What it is used for</b>", escape(point.uses)]
    lines += ["", "👐 <b>How to press it at home</b>", escape(point.how_to_press)]
    lines += ["", "⚠️ <b>Take care</b>"]
    lines += [f"• {escape(caution)}" for caution in point.cautions]
    lines.append(f"• {escape(catalogue.safety.pressure_rule)}")
    if "cun" in point.location.lower():
        lines += ["", f"📏 <i>{escape(catalogue.glossary.cun)}</i>"]
    sources = ", ".join(SOURCE_NAMES[source] for source in point.sources)
    lines += ["", f"<i>Sources: {escape(sources)}. General information, not a diagnosis.</i>"]
    return fit("\n".join(lines))


def point_keyboard(point: Point, catalogue: Catalogue) -> InlineKeyboardMarkup:
    """Buttons under a card: the point's meridian, all points, safety."""
    row = [
        InlineKeyboardButton(
            f"🧭 {catalogue.channel_name(point.meridian)}",
            callback_data=cb.encode(cb.MeridianButton(point.meridian)),
        ),
        InlineKeyboardButton("📍 All points", callback_data=cb.encode(cb.MenuButton("points"))),
    ]
    return InlineKeyboardMarkup(
        [row, [InlineKeyboardButton("⚠️ Safety", callback_data=cb.encode(cb.MenuButton("safety")))]]
    )


def points_menu(catalogue: Catalogue) -> tuple[str, InlineKeyboardMarkup]:
    """All points grouped by channel: a text overview and one button per point."""
    groups: dict[str, list[Point]] = {}
    for point in catalogue.points:
        groups.setdefault(point.meridian, []).append(point)
    lines = ["<b>Acupressure points for low back pain</b>", "Tap a point to see its card.", ""]
    buttons: list[InlineKeyboardButton] = []
    for channel, points in groups.items():
        lines.append(
            f"<b>{escape(catalogue.channel_name(channel))}</b>: "
            + ", ".join(escape(p.code) + ("⭐" if p.from_clinic_article else "") for p in points)
        )
        buttons += [
            InlineKeyboardButton(point_label(p), callback_data=cb.encode(cb.PointButton(p.code)))
            for p in points
        ]
    lines += ["", f"⭐ {CLINIC_POINTS}"]
    return "\n".join(lines), InlineKeyboardMarkup(_one_per_row(buttons))


def suggestions_keyboard(points: tuple[Point, ...] | list[Point]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        _one_per_row(
            [
                InlineKeyboardButton(
                    point_label(p), callback_data=cb.encode(cb.PointButton(p.code))
                )
                for p in points
            ]
        )
    )


def meridian_caption(meridian: Meridian) -> str:
    """The photo caption of a meridian's picture: its names and its course."""
    lines = [
        f"<b>{escape(meridian.name)} ({escape(meridian.code)})</b>",
        f"<i>{escape(meridian.chinese_name)}</i>",
    ]
    # Codes other systems use ("UB", "DU"); the names are in the title already.
    if codes := [alias for alias in meridian.aliases if alias.isupper()]:
        lines.append(f"Also written {escape(' or '.join(codes))}")
    if meridian.from_clinic_article:
        lines.append(f"⭐ {CLINIC_MERIDIANS}")
    lines += ["", f"🧭 {escape(meridian.course)}"]
    return fit("\n".join(lines), CAPTION_LIMIT)


def _points_keyboard(points: list[Point]) -> InlineKeyboardMarkup:
    rows = _one_per_row(
        [
            InlineKeyboardButton(point_label(p), callback_data=cb.encode(cb.PointButton(p.code)))
            for p in points
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                "🧭 All meridians", callback_data=cb.encode(cb.MenuButton("meridians"))
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def _points_line(count: int, of_what: str = "its points") -> str:
    if count == 1:
        return f"<b>Our catalogue describes one of {of_what}</b> for low back pain: tap it."
    return f"<b>Our catalogue describes {count} of {of_what}</b> for low back pain: tap one."


def meridian_card(meridian: Meridian, catalogue: Catalogue) -> tuple[str, InlineKeyboardMarkup]:
    """What follows the meridian's picture (which carries its names): why it matters, its points."""
    points = catalogue.points_on(meridian.code)
    lines = [
        "🔗 <b>Why it matters for the low back</b>",
        escape(meridian.low_back_link),
        "",
        f"It has {meridian.point_count} points in all, along the course the picture shows.",
        "",
        _points_line(len(points)),
    ]
    return fit("\n".join(lines)), _points_keyboard(points)


def channel_card(code: str, catalogue: Catalogue) -> tuple[str, InlineKeyboardMarkup]:
    """A short card for a channel the catalogue has points on but does not describe in full."""
    points = catalogue.points_on(code)
    lines = [f"<b>{escape(catalogue.channel_name(code))} ({escape(code)})</b>"]
    if note := CHANNEL_NOTES.get(code):
        lines.append(escape(note))
    lines += ["", _points_line(len(points), "them" if code == "EX" else "its points")]
    return fit("\n".join(lines)), _points_keyboard(points)


def meridians_menu(catalogue: Catalogue) -> tuple[str, InlineKeyboardMarkup]:
    """The described meridians, then the other channels the catalogue has points on."""
    lines = [
        "<b>Meridians that matter for the low back</b>",
        "Tap one to see its course and points.",
        "",
    ]
    rows = []
    for meridian in catalogue.meridians:
        star = " ⭐" if meridian.from_clinic_article else ""
        lines.append(f"<b>{escape(meridian.code)}</b> {escape(meridian.name)}{star}")
        rows.append(
            [
                InlineKeyboardButton(
                    f"{meridian.code} · {meridian.name}",
                    callback_data=cb.encode(cb.MeridianButton(meridian.code)),
                )
            ]
        )
    described = {meridian.code for meridian in catalogue.meridians}
    others = list(
        dict.fromkeys(p.meridian for p in catalogue.points if p.meridian not in described)
    )
    if others:
        lines += ["", "Also with points in our catalogue:"]
        for code in others:
            name = catalogue.channel_name(code)
            lines.append(f"<b>{escape(code)}</b> {escape(name)}")
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{code} · {name}", callback_data=cb.encode(cb.MeridianButton(code))
                    )
                ]
            )
    lines += ["", f"⭐ {CLINIC_MERIDIANS}"]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def safety_text(safety: Safety, emergency_number: str) -> str:
    """Red flags first, then when to stop and how to press safely."""
    number = escape(emergency_number)
    lines = [
        f"🚨 <b>Stop and call {number} or go to the emergency department now, "
        "not acupressure, if you have:</b>"
    ]
    lines += [f"• {escape(item)}" for item in safety.emergency]
    lines += ["", "🩺 <b>See a doctor soon if your back pain comes with:</b>"]
    lines += [f"• {escape(item)}" for item in safety.see_doctor_soon]
    lines += ["", "✋ <b>Do not press on these, or take extra care:</b>"]
    lines += [f"• {escape(item)}" for item in safety.do_not_press]
    lines += ["", "👐 <b>How firmly to press</b>", escape(safety.pressure_rule)]
    lines += ["", *stop_lines(safety)]
    lines += ["", "🤰 <b>Pregnancy</b>", escape(safety.pregnancy)]
    lines += ["", f"<i>{escape(safety.disclaimer)}</i>"]
    return fit("\n".join(lines))


def avoided_point_text(avoided: AvoidedPoint) -> str:
    """A point traditionally avoided in pregnancy that our catalogue does not describe."""
    return (
        f"🤰 <b>{escape(avoided.code)} · {escape(avoided.name)}</b> is traditionally avoided "
        f"during pregnancy. It lies {escape(avoided.where)}.\n\n"
        "It is not one of our points for low back pain, so I have no card for it. If you are "
        "pregnant, or might be, please do not press it and ask your practitioner first. "
        "Send /pregnancy to tell me, and /points to see the points I do describe."
    )


def short_html(text: str) -> str:
    """Plain content text, escaped for an HTML message."""
    return escape(text)


def stop_lines(safety: Safety) -> list[str]:
    """When to stop a session, and when to talk to the practitioner."""
    lines = ["🛑 <b>Stop pressing and rest if you notice:</b>"]
    lines += [f"• {escape(item)}" for item in safety.stop_rules]
    lines.append(escape(safety.no_change))
    return lines


def emergency_reply(safety: Safety, emergency_number: str, says: str) -> str:
    """The red-flag screen's emergency answer: the number first, no booking link."""
    number = escape(emergency_number)
    body = escape(safety.emergency_reply).replace("{number}", f"<b>{number}</b>")
    return f"🚨 <b>Call {number} or go to the emergency department now.</b>\n\n" + body.replace(
        "{sign}", escape(says)
    )


def see_doctor_reply(safety: Safety, emergency_number: str, says: str) -> str:
    """The screen's see-a-doctor answer."""
    body = escape(safety.see_doctor_reply).replace("{number}", escape(emergency_number))
    return "🩺 <b>Please see a doctor soon.</b>\n\n" + body.replace("{sign}", escape(says))


def negated_reminder(safety: Safety, emergency_number: str) -> str:
    """The short reminder after a message that mentions a red flag only as absent."""
    return "ℹ️ " + escape(safety.negated_reminder).replace("{number}", escape(emergency_number))


def evidence_text(safety: Safety) -> str:
    """/evidence: what the research says, with sources, and keep active."""
    lines = ["📚 <b>What the research says</b>", "", escape(safety.evidence_summary), ""]
    for finding in safety.evidence:
        lines += [f"• {escape(finding.says)}", f"  <i>{escape(finding.source)}</i>"]
    lines += ["", "🚶 <b>Keep active</b>", escape(safety.keep_active)]
    lines += ["", f"<i>{escape(safety.disclaimer)}</i>"]
    return fit("\n".join(lines))


def local_when(instant: datetime, zone: str) -> str:
    """An instant as the patient's local date and time: 'Tuesday 24 November at 07:30'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%A %-d %B} at {local:%H:%M}"
