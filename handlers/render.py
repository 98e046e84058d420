"""Turns content into Telegram HTML messages and keyboards, in the patient's language.

Content (names, locations, safety texts) comes from the catalogue of the
patient's language; the words around it from `tr`, that patient's translator.
Every dynamic value passes through `html.escape`; every message fits
Telegram's 4096-character limit.
"""

from __future__ import annotations

from html import escape

from babel.lists import format_list
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from content.catalogue import Catalogue
from content.i18n import N_, Translator
from content.names import other_codes
from content.schema import AvoidedPoint, Meridian, Point, Safety
from scheduler import callback_data as cb

MESSAGE_LIMIT = 4096
SOURCE_NAMES = {
    "WHO": N_("WHO Standard Acupuncture Point Locations (2008)"),
    "DM": N_("Deadman et al., A Manual of Acupuncture"),
    "GK": N_("the clinic's general guidance (not checked against a published source)"),
    "ARTICLE": N_("our clinic's article on low back pain"),
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
CLINIC_POINTS = N_("One of our clinic's five key points for low back pain")
CLINIC_MERIDIANS = N_("One of the three meridians our clinic's article describes")
# Channels the catalogue has points on but does not describe in full: their
# names (the catalogue's English `OTHER_CHANNELS`) and a short note.
CHANNEL_NAMES = {"SI": N_("Small Intestine meridian"), "EX": N_("Extra points")}
CHANNEL_NOTES = {
    "SI": N_(
        "Hand Taiyang Small Intestine channel. It runs from the tip of the little finger "
        "along the little-finger edge of the hand and arm, over the shoulder blade and up "
        "the neck, to end just in front of the ear."
    ),
    "EX": N_(
        "Extra points lie outside the main meridians. Each is named after where it sits "
        "or what it is used for."
    ),
}


def comma(tr: Translator) -> str:
    """What separates items of a plain list (codes, sources): Chinese writes "、"."""
    return "、" if tr.language == "zh" else ", "


def channel_name(code: str, catalogue: Catalogue, tr: Translator) -> str:
    """A channel's name in the patient's language: described meridians and the others."""
    if catalogue.meridian(code) is None and code in CHANNEL_NAMES:
        return tr._(CHANNEL_NAMES[code])
    return catalogue.channel_name(code)


def pregnancy_line(point: Point, tr: Translator) -> str:
    """The caution that leads a flagged point's card while pregnancy is on."""
    return tr._(
        "🤰 <b>Pregnancy: {code} is traditionally avoided during pregnancy.</b> "
        "Please leave it out and ask your practitioner first.",
        code=escape(point.code),
    )


def point_caption(
    point: Point, catalogue: Catalogue, tr: Translator, *, pregnant: bool = False
) -> str:
    """The photo caption: the point's names and where to find it."""
    names = point.hanzi_traditional
    if point.hanzi_simplified != point.hanzi_traditional:
        names += f" / {point.hanzi_simplified}"
    lines = [pregnancy_line(point, tr), ""] if pregnant and point.pregnancy_caution else []
    channel = channel_name(point.meridian, catalogue, tr)
    lines += [
        f"<b>{escape(point.code)} · {escape(point.pinyin)}</b> {escape(names)}",
        f"<i>{escape(point.english)}</i> · {escape(channel)}",
    ]
    if also := other_codes(point):
        lines.append(tr._("Also written {codes}", codes=escape(comma(tr).join(also))))
    if point.from_clinic_article:
        lines.append(f"⭐ {tr._(CLINIC_POINTS)}")
    if point.article_name:
        lines.append(
            tr._("Our clinic's article calls it the “{name}”.", name=escape(point.article_name))
        )
    lines += ["", tr._("📍 <b>Where to find it</b>"), escape(point.location)]
    if point.count_note:
        lines.append(escape(point.count_note))
    elif not point.bilateral:
        lines.append(tr._("It is a single point on the midline."))
    else:
        lines.append(tr._("There is one on each side of the body."))
    return fit("\n".join(lines), CAPTION_LIMIT)


def _mentions_cun(location: str) -> bool:
    return "cun" in location.lower() or "寸" in location


def point_details(
    point: Point, catalogue: Catalogue, tr: Translator, *, pregnant: bool = False
) -> str:
    """What follows the photo (which carries the point's names): uses, how to press, cautions."""
    lines: list[str] = []
    if pregnant and point.pregnancy_caution:
        lines += [pregnancy_line(point, tr), ""]
    lines += [tr._("💡 <b>What it is used for</b>"), escape(point.uses)]
    lines += ["", tr._("👐 <b>How to press it at home</b>"), escape(point.how_to_press)]
    lines += ["", tr._("⚠️ <b>Take care</b>")]
    lines += [f"• {escape(caution)}" for caution in point.cautions]
    lines.append(f"• {escape(catalogue.safety.pressure_rule)}")
    if _mentions_cun(point.location):
        lines += ["", f"📏 <i>{escape(catalogue.glossary.cun)}</i>"]
    sources = comma(tr).join(tr._(SOURCE_NAMES[source]) for source in point.sources)
    lines += [
        "",
        "<i>"
        + tr._("Sources: {sources}. General information, not a diagnosis.", sources=escape(sources))
        + "</i>",
    ]
    return fit("\n".join(lines))


def point_keyboard(point: Point, catalogue: Catalogue, tr: Translator) -> InlineKeyboardMarkup:
    """Buttons under a card: the point's meridian, all points, safety."""
    row = [
        InlineKeyboardButton(
            f"🧭 {channel_name(point.meridian, catalogue, tr)}",
            callback_data=cb.encode(cb.MeridianButton(point.meridian)),
        ),
        InlineKeyboardButton(
            tr._("📍 All points"), callback_data=cb.encode(cb.MenuButton("points"))
        ),
    ]
    return InlineKeyboardMarkup([row, [safety_button(tr)]])


def safety_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(tr._("⚠️ Safety"), callback_data=cb.encode(cb.MenuButton("safety")))


def points_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(tr._("📍 Points"), callback_data=cb.encode(cb.MenuButton("points")))


def points_menu(catalogue: Catalogue, tr: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """All points grouped by channel: a text overview and one button per point."""
    groups: dict[str, list[Point]] = {}
    for point in catalogue.points:
        groups.setdefault(point.meridian, []).append(point)
    lines = [
        tr._("<b>Acupressure points for low back pain</b>"),
        tr._("Tap a point to see its card."),
        "",
    ]
    buttons: list[InlineKeyboardButton] = []
    for channel, points in groups.items():
        codes = comma(tr).join(
            escape(p.code) + ("⭐" if p.from_clinic_article else "") for p in points
        )
        name = escape(channel_name(channel, catalogue, tr))
        lines.append(tr._("<b>{channel}</b>: {codes}", channel=name, codes=codes))
        buttons += [
            InlineKeyboardButton(point_label(p), callback_data=cb.encode(cb.PointButton(p.code)))
            for p in points
        ]
    lines += ["", f"⭐ {tr._(CLINIC_POINTS)}"]
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


def meridian_caption(meridian: Meridian, tr: Translator) -> str:
    """The photo caption of a meridian's picture: its names and its course."""
    lines = [
        f"<b>{escape(meridian.name)} ({escape(meridian.code)})</b>",
        f"<i>{escape(meridian.chinese_name)}</i>",
    ]
    # Codes other systems use ("UB", "DU"); the names are in the title already.
    if codes := [alias for alias in meridian.aliases if alias.isupper()]:
        either = format_list(codes, style="or", locale=tr.locale)
        lines.append(tr._("Also written {codes}", codes=escape(either)))
    if meridian.from_clinic_article:
        lines.append(f"⭐ {tr._(CLINIC_MERIDIANS)}")
    lines += ["", f"🧭 {escape(meridian.course)}"]
    return fit("\n".join(lines), CAPTION_LIMIT)


def _points_keyboard(points: list[Point], tr: Translator) -> InlineKeyboardMarkup:
    rows = _one_per_row(
        [
            InlineKeyboardButton(point_label(p), callback_data=cb.encode(cb.PointButton(p.code)))
            for p in points
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                tr._("🧭 All meridians"), callback_data=cb.encode(cb.MenuButton("meridians"))
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def _points_line(count: int, tr: Translator, *, them: bool = False) -> str:
    """How many of a channel's points the catalogue describes, in one sentence."""
    if them:
        return tr.n_(
            "<b>Our catalogue describes one of them</b> for low back pain: tap it.",
            "<b>Our catalogue describes {n} of them</b> for low back pain: tap one.",
            count,
        )
    return tr.n_(
        "<b>Our catalogue describes one of its points</b> for low back pain: tap it.",
        "<b>Our catalogue describes {n} of its points</b> for low back pain: tap one.",
        count,
    )


def meridian_card(
    meridian: Meridian, catalogue: Catalogue, tr: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """What follows the meridian's picture (which carries its names): why it matters, its points."""
    points = catalogue.points_on(meridian.code)
    lines = [
        tr._("🔗 <b>Why it matters for the low back</b>"),
        escape(meridian.low_back_link),
        "",
        tr.n_(
            "It has {n} point in all, along the course the picture shows.",
            "It has {n} points in all, along the course the picture shows.",
            meridian.point_count,
        ),
        "",
        _points_line(len(points), tr),
    ]
    return fit("\n".join(lines)), _points_keyboard(points, tr)


def channel_card(
    code: str, catalogue: Catalogue, tr: Translator
) -> tuple[str, InlineKeyboardMarkup]:
    """A short card for a channel the catalogue has points on but does not describe in full."""
    points = catalogue.points_on(code)
    lines = [f"<b>{escape(channel_name(code, catalogue, tr))} ({escape(code)})</b>"]
    if note := CHANNEL_NOTES.get(code):
        lines.append(escape(tr._(note)))
    lines += ["", _points_line(len(points), tr, them=code == "EX")]
    return fit("\n".join(lines)), _points_keyboard(points, tr)


def meridians_menu(catalogue: Catalogue, tr: Translator) -> tuple[str, InlineKeyboardMarkup]:
    """The described meridians, then the other channels the catalogue has points on."""
    lines = [
        tr._("<b>Meridians that matter for the low back</b>"),
        tr._("Tap one to see its course and points."),
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
        lines += ["", tr._("Also with points in our catalogue:")]
        for code in others:
            name = channel_name(code, catalogue, tr)
            lines.append(f"<b>{escape(code)}</b> {escape(name)}")
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{code} · {name}", callback_data=cb.encode(cb.MeridianButton(code))
                    )
                ]
            )
    lines += ["", f"⭐ {tr._(CLINIC_MERIDIANS)}"]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def safety_text(safety: Safety, emergency_number: str, tr: Translator) -> str:
    """Red flags first, then when to stop and how to press safely."""
    lines = [
        tr._(
            "🚨 <b>Stop and call {number} or go to the emergency department now, "
            "not acupressure, if you have:</b>",
            number=escape(emergency_number),
        )
    ]
    lines += [f"• {escape(item)}" for item in safety.emergency]
    lines += ["", tr._("🩺 <b>See a doctor soon if your back pain comes with:</b>")]
    lines += [f"• {escape(item)}" for item in safety.see_doctor_soon]
    lines += ["", tr._("✋ <b>Do not press on these, or take extra care:</b>")]
    lines += [f"• {escape(item)}" for item in safety.do_not_press]
    lines += ["", tr._("👐 <b>How firmly to press</b>"), escape(safety.pressure_rule)]
    lines += ["", *stop_lines(safety, tr)]
    lines += ["", tr._("🤰 <b>Pregnancy</b>"), escape(safety.pregnancy)]
    lines += ["", f"<i>{escape(safety.disclaimer)}</i>"]
    return fit("\n".join(lines))


def avoided_point_text(avoided: AvoidedPoint, catalogue: Catalogue, tr: Translator) -> str:
    """A point traditionally avoided in pregnancy that our catalogue does not describe.

    Its name and where it lies come from `catalogue`, the patient's language.
    """
    avoided = next(
        (a for a in catalogue.safety.avoided_in_pregnancy if a.code == avoided.code), avoided
    )
    return (
        tr._(
            "🤰 <b>{code} · {name}</b> is traditionally avoided during pregnancy. It lies {where}.",
            code=escape(avoided.code),
            name=escape(avoided.name),
            where=escape(avoided.where),
        )
        + "\n\n"
        + tr._(
            "It is not one of our points for low back pain, so I have no card for it. If you "
            "are pregnant, or might be, please do not press it and ask your practitioner "
            "first. Send /pregnancy to tell me, and /points to see the points I do describe."
        )
    )


def short_html(text: str) -> str:
    """Plain content text, escaped for an HTML message."""
    return escape(text)


def stop_lines(safety: Safety, tr: Translator) -> list[str]:
    """When to stop a session, and when to talk to the practitioner (the patient's `safety`)."""
    lines = [tr._("🛑 <b>Stop pressing and rest if you notice:</b>")]
    lines += [f"• {escape(item)}" for item in safety.stop_rules]
    lines.append(escape(safety.no_change))
    return lines


def emergency_reply(safety: Safety, emergency_number: str, says: str, tr: Translator) -> str:
    """The red-flag screen's emergency answer: the number first, no booking link."""
    number = escape(emergency_number)
    body = escape(safety.emergency_reply).replace("{number}", f"<b>{number}</b>")
    heading = tr._("🚨 <b>Call {number} or go to the emergency department now.</b>", number=number)
    return heading + "\n\n" + body.replace("{sign}", escape(says))


def see_doctor_reply(safety: Safety, emergency_number: str, says: str, tr: Translator) -> str:
    """The screen's see-a-doctor answer."""
    body = escape(safety.see_doctor_reply).replace("{number}", escape(emergency_number))
    heading = tr._("🩺 <b>Please see a doctor soon.</b>")
    return heading + "\n\n" + body.replace("{sign}", escape(says))


def negated_reminder(safety: Safety, emergency_number: str) -> str:
    """The short reminder after a message that mentions a red flag only as absent."""
    return "ℹ️ " + escape(safety.negated_reminder).replace("{number}", escape(emergency_number))


def evidence_text(safety: Safety, tr: Translator) -> str:
    """/evidence: what the research says, with sources, and keep active."""
    lines = [tr._("📚 <b>What the research says</b>"), "", escape(safety.evidence_summary), ""]
    for finding in safety.evidence:
        lines += [f"• {escape(finding.says)}", f"  <i>{escape(finding.source)}</i>"]
    lines += ["", tr._("🚶 <b>Keep active</b>"), escape(safety.keep_active)]
    lines += ["", f"<i>{escape(safety.disclaimer)}</i>"]
    return fit("\n".join(lines))
