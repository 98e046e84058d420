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
from content.schema import Meridian, Point, Safety
from scheduler import callback_data as cb

MESSAGE_LIMIT = 4096
SOURCE_NAMES = {
    "WHO": "WHO Standard Acupuncture Point Locations (2008)",
    "DM": "Deadman et al., A Manual of Acupuncture",
    "GK": "general acupressure references",
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


def point_label(point: Point) -> str:
    """A button label: code and pinyin."""
    return f"{point.code} {point.pinyin}"


CAPTION_LIMIT = 1024


def point_caption(point: Point, catalogue: Catalogue) -> str:
    """The photo caption: the point's names and where to find it."""
    names = point.hanzi_traditional
    if point.hanzi_simplified != point.hanzi_traditional:
        names += f" / {point.hanzi_simplified}"
    lines = [
        f"<b>{escape(point.code)} · {escape(point.pinyin)}</b> {escape(names)}",
        f"<i>{escape(point.english)}</i> · {escape(catalogue.channel_name(point.meridian))}",
    ]
    if also := other_codes(point):
        lines.append(f"Also written {escape(', '.join(also))}")
    if point.from_clinic_article:
        lines.append("⭐ One of our clinic's five key points for low back pain")
    lines += ["", "📍 <b>Where to find it</b>", escape(point.location)]
    if not point.bilateral:
        lines.append("It is a single point on the midline.")
    else:
        lines.append("There is one on each side of the body.")
    return fit("\n".join(lines), CAPTION_LIMIT)


def point_details(point: Point, catalogue: Catalogue) -> str:
    """What follows the photo: uses, how to press, cautions, sources."""
    lines = [f"<b>{escape(point.code)} · {escape(point.pinyin)}</b>"]
    lines += ["", "💡 <b>What it is used for</b>", escape(point.uses)]
    lines += ["", "👐 <b>How to press it at home</b>", escape(point.how_to_press)]
    lines += ["", "⚠️ <b>Take care</b>"]
    lines += [f"• {escape(caution)}" for caution in point.cautions]
    lines.append(f"• {escape(catalogue.safety.pressing_gently)}")
    if "cun" in point.location.lower():
        lines += ["", f"📏 <i>{escape(catalogue.glossary.cun)}</i>"]
    sources = ", ".join(SOURCE_NAMES[source] for source in point.sources)
    lines += ["", f"<i>Sources: {escape(sources)}. General information, not a diagnosis.</i>"]
    return fit("\n".join(lines))


def point_keyboard(point: Point, catalogue: Catalogue) -> InlineKeyboardMarkup:
    """Buttons under a card: the point's meridian, all points, safety."""
    row = []
    if catalogue.meridian(point.meridian):
        row.append(
            InlineKeyboardButton(
                f"{point.meridian} meridian",
                callback_data=cb.encode(cb.MeridianButton(point.meridian)),
            )
        )
    row.append(InlineKeyboardButton("All points", callback_data=cb.encode(cb.MenuButton("points"))))
    return InlineKeyboardMarkup(
        [row, [InlineKeyboardButton("⚠️ Safety", callback_data=cb.encode(cb.MenuButton("safety")))]]
    )


def points_menu(catalogue: Catalogue) -> tuple[str, InlineKeyboardMarkup]:
    """All points grouped by channel: a text overview and one button per point."""
    groups: dict[str, list[Point]] = {}
    for point in catalogue.points:
        groups.setdefault(point.meridian, []).append(point)
    lines = ["<b>Acupressure points for low back pain</b>", "Tap a point to see its card.", ""]
    rows: list[list[InlineKeyboardButton]] = []
    for channel, points in groups.items():
        lines.append(
            f"<b>{escape(catalogue.channel_name(channel))}</b>: "
            + ", ".join(escape(p.code) + ("⭐" if p.from_clinic_article else "") for p in points)
        )
        buttons = [
            InlineKeyboardButton(point_label(p), callback_data=cb.encode(cb.PointButton(p.code)))
            for p in points
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    lines += ["", "⭐ our clinic's five key points"]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def suggestions_keyboard(points: tuple[Point, ...] | list[Point]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(point_label(p), callback_data=cb.encode(cb.PointButton(p.code)))]
            for p in points
        ]
    )


def meridian_caption(meridian: Meridian) -> str:
    """The photo caption of a meridian's picture."""
    return fit(
        f"<b>{escape(meridian.name)} ({escape(meridian.code)})</b>\n"
        f"<i>{escape(meridian.chinese_name)}</i>\n\n🧭 {escape(meridian.course)}",
        CAPTION_LIMIT,
    )


def meridian_card(meridian: Meridian, catalogue: Catalogue) -> tuple[str, InlineKeyboardMarkup]:
    """A meridian with its course, its link to the low back and its points."""
    points = catalogue.points_on(meridian.code)
    lines = [
        f"<b>{escape(meridian.name)} ({escape(meridian.code)})</b>",
        f"<i>{escape(meridian.chinese_name)}</i>",
        f"Also called: {escape(', '.join(meridian.aliases) or meridian.code)}",
        f"{meridian.point_count} points along its course (the picture above shows it).",
        "",
        "🔗 <b>Why it matters for the low back</b>",
        escape(meridian.low_back_link),
        "",
        f"<b>Its points in our catalogue</b> ({len(points)}): tap one for its card.",
    ]
    buttons = [
        InlineKeyboardButton(point_label(p), callback_data=cb.encode(cb.PointButton(p.code)))
        for p in points
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [InlineKeyboardButton("All meridians", callback_data=cb.encode(cb.MenuButton("meridians")))]
    )
    return fit("\n".join(lines)), InlineKeyboardMarkup(rows)


def meridians_menu(catalogue: Catalogue) -> tuple[str, InlineKeyboardMarkup]:
    lines = ["<b>Meridians that matter for the low back</b>", ""]
    rows = []
    for meridian in catalogue.meridians:
        star = "⭐ " if meridian.from_clinic_article else ""
        lines.append(f"{star}<b>{escape(meridian.code)}</b> {escape(meridian.name)}")
        rows.append(
            [
                InlineKeyboardButton(
                    f"{meridian.code} · {meridian.name}",
                    callback_data=cb.encode(cb.MeridianButton(meridian.code)),
                )
            ]
        )
    lines += ["", "⭐ the three our clinic's article describes"]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def safety_text(safety: Safety) -> str:
    """Red flags first, then how to press safely."""
    lines = ["🚨 <b>Get urgent medical care the same day, not acupressure, if you have:</b>"]
    lines += [f"• {escape(item)}" for item in safety.emergency]
    lines += ["", "🩺 <b>See a doctor soon if you have back pain with:</b>"]
    lines += [f"• {escape(item)}" for item in safety.see_doctor_soon]
    lines += ["", "✋ <b>Do not press on or over:</b>"]
    lines += [f"• {escape(item)}" for item in safety.do_not_press]
    lines += ["", "👐 <b>Pressing safely</b>", escape(safety.pressing_gently)]
    lines += ["", "🤰 <b>Pregnancy</b>", escape(safety.pregnancy)]
    lines += ["", f"<i>{escape(safety.disclaimer)}</i>"]
    return fit("\n".join(lines))


def local_when(instant: datetime, zone: str) -> str:
    """An instant as the patient's local date and time: 'Tuesday 24 November at 07:30'."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%A %-d %B} at {local:%H:%M}"
