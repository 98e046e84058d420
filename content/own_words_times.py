"""The time in "remind me at 8", "recuérdame a las 8" and "每天早上八点提醒我".

Each function returns the time as the English reminder flow reads it
(scheduler.time_input.parse_time_of_day): "8", "7:30 pm", "20:00", "noon";
or None when the message asks for no reminder at a time. So the same request
in any of the three languages gives the same `time_text`.
"""

from __future__ import annotations

import re

# After content.own_words.words(): lower case, no accents, no punctuation but "7:30".
_REMIND_AT_EN = re.compile(r"\bremind(?: me)?(?: daily| every day| each day)?(?: at| for)? (.+)$")

_ES_REMIND = re.compile(
    r"\b(?:recuerdame|recuerdeme|recordarme|recuerdamelo|avisame|avisarme|"
    r"recordatorio|recordatorios|recordar)\b"
)
_ES_NUMBERS = {
    "una": 1,
    "uno": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
}
_ES_HOUR = r"(\d{1,2}|" + "|".join(_ES_NUMBERS) + r")"
# "a las 8", "a las 7:30", "a las ocho y media de la tarde", "para las 9 pm", "a la 1".
_ES_TIME = re.compile(
    r"\b(?:a|para|sobre|hacia|tipo|como) (?:las|la|eso de las) "
    + _ES_HOUR
    + r"(?::(\d{2})| (\d{2}))?"
    r"( y media| y cuarto| menos cuarto)?"
    r"(?: (?:horas|hrs|h))?"
    r"( de la manana| de la tarde| de la noche| de la madrugada| en la manana| en la tarde"
    r"| en la noche| am| pm| a m| p m)?\b"
)
# Without "a las" a time needs a colon or am/pm: "recuérdame 7:30", "avísame 8 pm".
_ES_BARE_TIME = re.compile(
    r"\b(\d{1,2})(?::(\d{2}))?( de la manana| de la tarde| de la noche| am| pm| a m| p m)\b"
    r"|\b(\d{1,2}):(\d{2})\b"
)
_ES_WORD_TIMES = {"mediodia": "noon", "medianoche": "midnight"}

_ZH_NEGATION = re.compile(r"(?:不要|不用|别|甭|取消|停止|关闭|不必)[^ ]{0,8}提醒")
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_ZH_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUMBER = r"(\d{1,2}|[零一二两三四五六七八九十]{1,3})"
# "早上八点", "晚上7点半", "下午3点15分", "8:30", "20点".
_ZH_TIME = re.compile(
    r"(早上|早晨|清晨|上午|早|中午|午后|下午|傍晚|晚上|夜里|夜间|晚|凌晨)?"
    + _ZH_NUMBER
    + r"(?:(?:点钟|点|點|时|時)(半|一刻|三刻|(?:"
    + _ZH_NUMBER[1:-1]
    + r")分?)?|:(\d{2}))"
)
_ZH_MORNING = {"早上", "早晨", "清晨", "上午", "早", "凌晨"}
_ZH_AFTERNOON = {"午后", "下午", "傍晚", "晚上", "夜里", "夜间", "晚"}


def chinese_number(text: str) -> int | None:
    """ "八" -> 8, "十二" -> 12, "四十" -> 40, "三十四" -> 34, "40" -> 40; 1..99 only."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _ZH_DIGITS.get(text) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if (tens and tens not in _ZH_DIGITS) or (ones and ones not in _ZH_DIGITS):
        return None
    return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0)


def _clock(hour: int, minute: int, meridiem: str | None) -> str:
    """The English flow's way of writing it: "8", "7:30", "7:30 pm", "19:30"."""
    if meridiem is not None and not 1 <= hour <= 12:
        meridiem = None  # "20 de la noche": a 24-hour time with a redundant word
    text = f"{hour}:{minute:02d}" if minute else f"{hour}"
    return f"{text} {meridiem}" if meridiem else text


def english_time(joined: str) -> str | None:
    """ "remind me at 7:30 pm" -> "7:30 pm" (as typed; the flow reads it)."""
    match = _REMIND_AT_EN.search(joined)
    if match and any(char.isdigit() for char in match[1]):
        return match[1]
    return None


def spanish_time(joined: str) -> str | None:
    """ "recuerdame a las 8 de la manana" -> "8 am"; "avisame a las ocho y media" -> "8:30"."""
    if not _ES_REMIND.search(joined) or re.search(r"\bno (?:me )?(?:recuerdes|avises)\b", joined):
        return None
    for word, value in _ES_WORD_TIMES.items():
        if re.search(rf"\b(?:a|al|para) (?:el |la )?{word}\b", joined):
            return value
    if match := _ES_TIME.search(joined):
        hour_text, minute_a, minute_b, fraction, part = match.groups()
        hour = int(hour_text) if hour_text.isdigit() else _ES_NUMBERS[hour_text]
        minute = int(minute_a or minute_b or 0)
        if fraction == " y media":
            minute = 30
        elif fraction == " y cuarto":
            minute = 15
        elif fraction == " menos cuarto":
            hour, minute = (hour - 1) % 24 or 12, 45
        return _clock(hour, minute, _spanish_meridiem(hour, part))
    if match := _ES_BARE_TIME.search(joined):
        if match[4] is not None:
            return f"{int(match[4])}:{match[5]}"
        hour, minute = int(match[1]), int(match[2] or 0)
        return _clock(hour, minute, _spanish_meridiem(hour, match[3]))
    return None


def _spanish_meridiem(hour: int, part: str | None) -> str | None:
    if part is None:
        return None
    part = part.strip()
    if part in {"am", "a m", "de la manana", "en la manana", "de la madrugada"}:
        return "am"
    if hour == 12 and part in {"de la noche", "en la noche"}:
        return "am"  # "las 12 de la noche" is midnight
    return "pm"


def chinese_time(han: str) -> str | None:
    """ "每天早上八点提醒我" -> "8 am"; "晚上7点半提醒我" -> "7:30 pm"; "8:30提醒我" -> "8:30"."""
    if "提醒" not in han:
        return None
    if _ZH_NEGATION.search(han):
        return None
    match = _ZH_TIME.search(han)
    if match is None:
        return None
    part, hour_text, fraction, colon_minute = match.groups()
    hour = chinese_number(hour_text)
    if hour is None or hour > 24:
        return None
    if colon_minute is not None:
        minute = int(colon_minute)
    elif fraction in (None, ""):
        minute = 0
    elif fraction == "半":
        minute = 30
    elif fraction == "一刻":
        minute = 15
    elif fraction == "三刻":
        minute = 45
    else:
        minute = chinese_number(fraction.removesuffix("分")) or 0
    meridiem: str | None = None
    if part in _ZH_MORNING:
        meridiem = "am"
    elif part == "中午":
        meridiem = "pm" if hour <= 2 or hour == 12 else None
    elif part in _ZH_AFTERNOON:
        meridiem = "am" if hour == 12 and part in {"晚上", "夜里", "夜间", "晚"} else "pm"
    return _clock(hour, minute, meridiem)
