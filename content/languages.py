"""The languages the bot speaks, and which one a Telegram language tag means.

Telegram sends the language of the patient's app as an IETF tag ("es",
"es-MX", "zh-hans", "en-GB"); a patient can also choose with /language, which
is stored and wins over the tag.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

Language = Literal["en", "es", "zh"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"

# What each language is called in its own words, for the /language buttons.
NATIVE_NAMES: dict[Language, str] = {"en": "English", "es": "Español", "zh": "简体中文"}
# Babel locale of each language: dates, numbers and plural rules.
LOCALES: dict[Language, str] = {"en": "en_US", "es": "es", "zh": "zh_Hans_CN"}


def is_language(value: object) -> TypeGuard[Language]:
    return isinstance(value, str) and value in LANGUAGES


_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def is_traditional_chinese(tag: str | None) -> bool:
    """A Traditional Chinese app (zh-Hant, zh-TW, zh-HK, zh-MO): Simplified, with a note."""
    if not tag:
        return False
    tag = tag.strip().replace("_", "-").lower()
    return any(tag == t or tag.startswith(t + "-") for t in _TRADITIONAL)


def language_from_tag(tag: str | None) -> Language:
    """The language a Telegram `language_code` asks for; English when we do not speak it.

    Traditional Chinese (zh-hant, zh-TW, zh-HK) gets Simplified Chinese for now:
    the same words, in characters a Traditional reader can follow; a
    Traditional catalogue would be a fourth language.
    """
    if not tag:
        return DEFAULT_LANGUAGE
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if is_language(primary) else DEFAULT_LANGUAGE
