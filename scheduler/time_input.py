"""Reading what patients type for a reminder: a local time of day and a time zone.

Pure functions, no Telegram and no I/O beyond reading the installed tz database
metadata (zone.tab, iso3166.tab, tzdata.zi) and timezonefinder's data, each once.
Nothing here raises on bad input: callers get either a value or a short, friendly
`problem` sentence, an English message id to show the patient as `tr._(problem)`.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import importlib.resources
import math
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from content.i18n import N_

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

__all__ = [
    "COMMON_ZONES",
    "TimeParse",
    "ZoneMatch",
    "find_zone",
    "parse_time_of_day",
    "zone_for_location",
    "zone_label",
    "zone_note",
]


# ---------------------------------------------------------------------------
# Time of day
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimeParse:
    """A parsed time of day (whole minutes, naive) or a problem to show the patient."""

    value: datetime.time | None
    problem: str | None


# Longer than any sensible way of writing a time ("12:30:00 p.m." is 13); checked
# before normalising or matching so a pasted essay costs nothing.
_MAX_TIME_CHARS = 32

TIME_TOO_LONG = N_(
    "That's too long for a time. Please send just the time, like 7:30, 19:30 or 7:30 pm."
)
TIME_EMPTY = N_("Please type a time, like 7:30, 19:30 or 7:30 pm.")
TIME_UNREADABLE = N_("I couldn't read that as a time. Please type it like 7:30, 19:30 or 7:30 pm.")
TIME_OUT_OF_RANGE = N_(
    "Hours go from 0 to 23 and minutes from 0 to 59. Please try again, like 7:30 or 19:30."
)
TIME_BAD_12_HOUR = N_(
    "With am or pm, hours go from 1 to 12. Please try again, like 7:30 pm, "
    "or use the 24-hour clock, like 19:30."
)
TIME_ONE_DIGIT_MINUTES = N_(
    "Please write the minutes with two digits, like 7:05 or 7:50 (for example 7:30)."
)

_WORD_TIMES: dict[str, datetime.time] = {
    "noon": datetime.time(12, 0),
    "midday": datetime.time(12, 0),
    "12 noon": datetime.time(12, 0),
    "midnight": datetime.time(0, 0),
    "12 midnight": datetime.time(0, 0),
}

# "am", "pm", "a.m.", "p. m." at the very end; the input is already casefolded.
_MERIDIEM = re.compile(r"\s*([ap])\s?\.?\s?m\.?\Z")
# "7", "19", "21h".
_HOUR_ONLY = re.compile(r"([0-9]{1,2})\s?h?")
# "730", "0730", "1930": the last two digits are the minutes.
_DIGITS_ONLY = re.compile(r"[0-9]{3,4}")
# "7:30", "7.30", "7h30", "7 30", "7:30:00" (seconds only with a colon, then dropped).
_CLOCK = re.compile(r"([0-9]{1,2})\s?(?:[:.h]|\s)\s?([0-9]{2})(?::([0-9]{2}))?")
# "7:5" could mean 7:05 or 7:50, so it is rejected rather than guessed.
_ONE_DIGIT_MINUTE = re.compile(r"[0-9]{1,2}\s?[:.h]\s?[0-9]")


def parse_time_of_day(text: str) -> TimeParse:
    """Parse a time of day as patients type it; never raises."""
    if not isinstance(text, str):
        return _time_problem(TIME_UNREADABLE)
    if len(text) > _MAX_TIME_CHARS:
        return _time_problem(TIME_TOO_LONG)
    # NFKC turns full-width digits and colons into ASCII ones.
    cleaned = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    if not cleaned:
        return _time_problem(TIME_EMPTY)
    if len(cleaned) > _MAX_TIME_CHARS:  # NFKC can expand some characters a lot.
        return _time_problem(TIME_TOO_LONG)
    if cleaned in _WORD_TIMES:
        return TimeParse(_WORD_TIMES[cleaned], None)

    meridiem: str | None = None
    found = _MERIDIEM.search(cleaned)
    if found is not None:
        meridiem = found.group(1)
        cleaned = cleaned[: found.start()].strip()

    second: str | None = None
    if (match := _HOUR_ONLY.fullmatch(cleaned)) is not None:
        hour_text, minute_text = match.group(1), "0"
    elif _DIGITS_ONLY.fullmatch(cleaned) is not None:
        hour_text, minute_text = cleaned[:-2], cleaned[-2:]
    elif (match := _CLOCK.fullmatch(cleaned)) is not None:
        hour_text, minute_text, second = match.group(1), match.group(2), match.group(3)
    elif _ONE_DIGIT_MINUTE.fullmatch(cleaned) is not None:
        return _time_problem(TIME_ONE_DIGIT_MINUTES)
    else:
        return _time_problem(TIME_UNREADABLE)

    # Only ASCII digits reach here: NFKC has turned full-width and superscript
    # digits into them; other scripts' digits (Arabic-Indic...) are refused above.
    hour, minute = int(hour_text), int(minute_text)
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return _time_problem(TIME_BAD_12_HOUR)
        # 12 am is midnight and 12 pm is noon.
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or (second is not None and int(second) > 59):
        return _time_problem(TIME_OUT_OF_RANGE)
    return TimeParse(datetime.time(hour, minute), None)


def _time_problem(problem: str) -> TimeParse:
    return TimeParse(None, problem)


# ---------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZoneMatch:
    """A time zone found for what the patient typed or shared, or suggestions and a problem."""

    zone: str | None
    label: str | None
    suggestions: tuple[str, ...] = ()
    problem: str | None = None


COMMON_ZONES: tuple[str, ...] = (
    "America/Chicago",
    "America/New_York",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Australia/Sydney",
)

ZONE_EMPTY = N_("Please type your city or time zone, for example Chicago or America/Chicago.")
ZONE_TOO_LONG = N_(
    "That's too long for a place name. Please type just your city, for example Chicago."
)
ZONE_NOT_FOUND = N_(
    "I don't know that place. Please type a nearby big city, for example Chicago, "
    "or a time zone like America/Chicago."
)
ZONE_SUGGEST = N_(
    "I couldn't find that place. Did you mean one of these? "
    "You can also type a nearby big city, for example Chicago."
)
ZONE_COUNTRY = N_(
    "That country has more than one time zone. Which of these is yours? "
    "You can also type your city."
)
LOCATION_INVALID = N_(
    "Those coordinates don't look right. Please share your location again, "
    "or type your city, for example Chicago."
)
LOCATION_NO_ZONE = N_(
    "I couldn't find a time zone for that spot (it may be out at sea). "
    "Please type your city instead, for example Chicago."
)

_UTC = "UTC"
# Longest IANA name is 32 characters; this leaves room for "City, State, Country".
_MAX_ZONE_CHARS = 80
# Fuzzy matching (difflib ratio, 0..1): a typo is trusted only when it is close
# and clearly closer than the next zone; weaker matches become suggestions.
_FUZZY_CONFIDENT = 0.8
_FUZZY_MARGIN = 0.1
_FUZZY_SUGGEST = 0.6
# Weaker look-alikes are not offered: "narnia" is not a typo of "Armenia" (Yerevan).
_FUZZY_OFFER = 0.78
_FUZZY_MIN_CHARS = 3
# Abbreviations are matched exactly only: "test" is not a typo of "est".
_FUZZY_MIN_KEY_CHARS = 4
_MAX_SUGGESTIONS = 3

# Big cities that are not IANA names, US time zone words and abbreviations. The
# clinic is in the US, so ambiguous abbreviations ("cst") mean the US zone.
_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        (
            "san francisco",
            "seattle",
            "las vegas",
            "portland",
            "san diego",
            "sacramento",
            "san jose",
            "pst",
            "pdt",
            "pacific",
            "pacific time",
            "california",
        ),
        "America/Los_Angeles",
    ),
    **dict.fromkeys(
        (
            "houston",
            "dallas",
            "austin",
            "san antonio",
            "minneapolis",
            "st louis",
            "saint louis",
            "milwaukee",
            "oak park",
            "river forest",
            "evanston",
            "naperville",
            "new orleans",
            "kansas city",
            "nashville",
            "cst",
            "cdt",
            "central",
            "central time",
            # US states wholly in one zone (the clinic's patients type them).
            "illinois",
            "wisconsin",
            "minnesota",
            "iowa",
            "missouri",
            "arkansas",
            "louisiana",
            "mississippi",
            "alabama",
        ),
        "America/Chicago",
    ),
    **dict.fromkeys(
        (
            "boston",
            "washington",
            "washington dc",
            "washington d c",
            "miami",
            "atlanta",
            "philadelphia",
            "orlando",
            "newark",
            "baltimore",
            "pittsburgh",
            "cleveland",
            "charlotte",
            "nyc",
            "new york city",
            "est",
            "edt",
            "eastern",
            "eastern time",
            "new jersey",
            "new york state",
            "pennsylvania",
            "ohio",
            "virginia",
            "west virginia",
            "maryland",
            "delaware",
            "connecticut",
            "rhode island",
            "massachusetts",
            "vermont",
            "new hampshire",
            "maine",
            "north carolina",
            "south carolina",
        ),
        "America/New_York",
    ),
    **dict.fromkeys(
        (
            "salt lake city",
            "albuquerque",
            "mst",
            "mdt",
            "mountain",
            "mountain time",
            "colorado",
            "utah",
            "new mexico",
            "wyoming",
            "montana",
        ),
        "America/Denver",
    ),
    **dict.fromkeys(("arizona", "tucson", "scottsdale"), "America/Phoenix"),
    **dict.fromkeys(("alaska", "akst", "akdt"), "America/Anchorage"),
    **dict.fromkeys(("hawaii", "hst"), "Pacific/Honolulu"),
    **dict.fromkeys(
        (
            "mumbai",
            "bombay",
            "delhi",
            "new delhi",
            "bangalore",
            "bengaluru",
            "chennai",
            "hyderabad",
        ),
        "Asia/Kolkata",
    ),
    "beijing": "Asia/Shanghai",
    "osaka": "Asia/Tokyo",
    **dict.fromkeys(("munich", "frankfurt"), "Europe/Berlin"),
    **dict.fromkeys(
        (
            "manchester",
            "edinburgh",
            "glasgow",
            "uk",
            "united kingdom",
            "great britain",
            "england",
            "scotland",
            "wales",
        ),
        "Europe/London",
    ),
    "melbourne": "Australia/Melbourne",
    **dict.fromkeys(("munchen", "muenchen", "cologne", "koln"), "Europe/Berlin"),
    "peking": "Asia/Shanghai",
    **dict.fromkeys(("utc", "gmt", "coordinated universal time"), _UTC),
}
# Extra names for countries with several zones (iso3166.tab says "United States").
_COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("usa", "united states of america", "america"),
}
# Resolving a link to one of these means the zone is UTC under another name.
_UTC_TARGETS = frozenset({"Etc/UTC", "Etc/GMT", "UTC"})
UTC_NOTE = N_(
    "UTC (also called GMT) is the same all year: it never changes for daylight saving. "
    "If your clocks change in summer, type your city instead, for example London."
)
FIXED_OFFSET_NOTE = N_(
    "This zone is a fixed offset from UTC: it never changes for daylight saving. "
    "If your clocks change in summer, type your city instead."
)


def zone_label(zone: str) -> str:
    """Friendly label: "Chicago (America/Chicago)"; "UTC" for UTC."""
    if zone in _UTC_TARGETS:
        return _UTC
    if "/" not in zone or zone.startswith("Etc/"):
        return zone
    city = zone.rsplit("/", 1)[1].replace("_", " ")
    return f"{city} ({zone})"


def zone_note(zone: str) -> str | None:
    """A word of warning for zones that never change for daylight saving by design."""
    if zone in _UTC_TARGETS:
        return UTC_NOTE
    if zone.startswith("Etc/"):
        return FIXED_OFFSET_NOTE
    return None


def find_zone(text: str) -> ZoneMatch:
    """Find the IANA zone for a city, zone name, alias or near-miss typo; never raises."""
    if not isinstance(text, str):
        return _zone_problem(ZONE_EMPTY)
    if len(text) > _MAX_ZONE_CHARS:
        return _zone_problem(ZONE_TOO_LONG)
    query = _fold(text)
    if not query:
        return _zone_problem(ZONE_EMPTY)
    index = _zone_index()

    # "Chicago, IL" / "London, UK": the part before the comma is the city.
    head = _fold(unicodedata.normalize("NFKC", text).split(",", 1)[0])
    for candidate in dict.fromkeys((query, head)):
        if not candidate:
            continue
        if (zone := index.exact.get(candidate)) is not None:
            return _found(zone)
        if (zones := index.countries.get(candidate)) is not None:
            return ZoneMatch(None, None, zones[:_MAX_SUGGESTIONS], ZONE_COUNTRY)

    ranked = _fuzzy_rank(head or query, index)
    if ranked:
        (best_zone, best), *rest = ranked
        runner_up = rest[0][1] if rest else 0.0
        if best >= _FUZZY_CONFIDENT and best - runner_up >= _FUZZY_MARGIN:
            return _found(best_zone)
    offered = [zone for zone, score in ranked if score >= _FUZZY_OFFER]
    # "Chicago Illinois": a word that names a place is worth offering.
    for word in query.split():
        if len(word) >= _FUZZY_MIN_KEY_CHARS and (zone := index.exact.get(word)) is not None:
            offered.insert(0, zone)
    suggestions = tuple(dict.fromkeys(offered))[:_MAX_SUGGESTIONS]
    if not suggestions:
        return _zone_problem(ZONE_NOT_FOUND)
    return ZoneMatch(None, None, suggestions, ZONE_SUGGEST)


def zone_for_location(latitude: float, longitude: float) -> ZoneMatch:
    """The zone at a shared location (Telegram gives lat/lng); never raises."""
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError, OverflowError):
        return _zone_problem(LOCATION_INVALID)
    if not (math.isfinite(lat) and math.isfinite(lng)) or abs(lat) > 90 or abs(lng) > 180:
        return _zone_problem(LOCATION_INVALID)
    try:
        name = _finder().timezone_at(lng=lng, lat=lat)
    except ValueError:
        return _zone_problem(LOCATION_INVALID)
    # Open sea comes back as None or a nautical "Etc/GMT+11" zone; neither is a
    # place a patient lives, and a fixed offset would silently ignore DST.
    if name is None or name.startswith("Etc/"):
        return _zone_problem(LOCATION_NO_ZONE)
    index = _zone_index()
    zone = _resolve(name, index.canonical, index.links)
    if zone is None:
        # timezonefinder's data can name a zone the installed tz database lacks.
        zone = name if name in index.available else None
    if zone is None:
        return _zone_problem(LOCATION_NO_ZONE)
    return _found(zone)


def _found(zone: str) -> ZoneMatch:
    return ZoneMatch(zone, zone_label(zone))


def _zone_problem(problem: str) -> ZoneMatch:
    return ZoneMatch(None, None, (), problem)


@functools.cache
def _finder() -> TimezoneFinder:
    # Imported and built on first use: loading its data takes about half a second.
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


_APOSTROPHES = re.compile(r"['\u2019`\u02bc]")  # straight, curly, backtick, modifier
_HYPHEN_IN_WORD = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")
_SEPARATORS = re.compile(r"[^\w/+\-]+|_")
_SPACED_SLASH = re.compile(r"\s*/\s*")


def _fold(text: str) -> str:
    """Comparable form of a place or zone name: "São_Paulo" and "sao paulo" agree."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = _APOSTROPHES.sub("", text)  # "St. John's" -> "st johns" like "St_Johns".
    text = _HYPHEN_IN_WORD.sub(" ", text)  # "Port-au-Prince" but not "Etc/GMT-5".
    text = _SEPARATORS.sub(" ", text)
    return _SPACED_SLASH.sub("/", " ".join(text.split()))


@dataclass(frozen=True, slots=True)
class _ZoneIndex:
    available: frozenset[str]
    canonical: frozenset[str]
    links: dict[str, str]  # alias name -> target name, from tzdata.zi
    exact: dict[str, str]  # folded name, city, alias or country -> zone
    countries: dict[str, tuple[str, ...]]  # folded country with several zones -> zones
    places: tuple[tuple[str, str], ...]  # fuzzy keys without "/" -> canonical zone
    names: tuple[tuple[str, str], ...]  # fuzzy keys for "Area/City" -> canonical zone


def _resolve(name: str, canonical: frozenset[str], links: dict[str, str]) -> str | None:
    """Canonical zone for a zone or link name, or None when it has none."""
    for _ in range(8):  # Links point at zones; the bound only guards bad data.
        if name in _UTC_TARGETS:
            return _UTC
        if name in canonical:
            return name
        if name not in links:
            return None
        name = links[name]
    return None


def _tz_files(name: str) -> Iterator[Path]:
    """Candidate copies of a tz metadata file, in the order zoneinfo searches."""
    for directory in zoneinfo.TZPATH:
        yield Path(directory) / name
    try:
        yield Path(str(importlib.resources.files("tzdata").joinpath("zoneinfo", name)))
    except (ImportError, TypeError, ValueError):
        return


def _read_tz_lines(name: str) -> list[str]:
    for path in _tz_files(name):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        return [line for line in text.splitlines() if line and not line.startswith("#")]
    return []


def _columns(lines: Iterable[str], count: int) -> Iterator[list[str]]:
    for line in lines:
        fields = line.split("\t")
        if len(fields) >= count:
            yield fields


@functools.cache
def _zone_index() -> _ZoneIndex:
    """Lookup tables over the installed tz database, built once."""
    available = frozenset(
        name
        for name in zoneinfo.available_timezones()
        if not name.startswith(("posix/", "right/")) and name not in {"Factory", "localtime"}
    )
    zone_tab = list(_columns(_read_tz_lines("zone.tab"), 3))
    # zone.tab lists one current zone per country region, without deprecated
    # aliases; that is the "canonical-ish" set offered as suggestions.
    canonical = {fields[2] for fields in zone_tab if fields[2] in available}
    if not canonical:  # No metadata installed: fall back to Area/City names.
        canonical = {
            name
            for name in available
            if "/" in name and not name.startswith(("Etc/", "US/", "SystemV/"))
        }
    canonical.add(_UTC)
    offerable = frozenset(canonical)
    links: dict[str, str] = {}
    for line in _read_tz_lines("tzdata.zi"):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]

    exact: dict[str, str] = {}
    names: dict[str, str] = {}
    # Cities of current zones win over cities of old aliases ("Calcutta").
    cities: dict[str, str] = {}
    old_cities: dict[str, str] = {}
    for name in sorted(available):
        zone = _resolve(name, offerable, links)
        if zone is None:
            # Typed exactly, a valid fixed-offset name such as "Etc/GMT+5" is
            # accepted; it is never suggested and gives no city name.
            exact.setdefault(_fold(name), name)
            continue
        folded = _fold(name)
        exact.setdefault(folded, zone)
        if name == zone:
            names[folded] = zone
        if name.startswith("Etc/") or any(char.isdigit() for char in name):
            continue
        city = folded.rsplit("/", 1)[-1]
        if name == zone:
            cities.setdefault(city, zone)
        else:
            old_cities.setdefault(city, zone)

    countries: dict[str, tuple[str, ...]] = {}
    single_countries: dict[str, str] = {}
    zones_by_code: dict[str, list[str]] = {}
    for fields in zone_tab:
        if fields[2] in offerable:
            zones_by_code.setdefault(fields[0], []).append(fields[2])
    for fields in _columns(_read_tz_lines("iso3166.tab"), 2):
        code, country = fields[0], fields[1]
        zones = zones_by_code.get(code, [])
        if not zones:
            continue
        # Offer the zones patients most likely want first (US: Chicago, New York...).
        ordered = tuple(sorted(zones, key=_common_first))
        spellings = {_fold(country), _fold(re.sub(r"\(.*?\)", "", country))}
        spellings.update(_COUNTRY_ALIASES.get(code, ()))
        for spelling in spellings - {""}:
            if len(ordered) == 1:
                single_countries.setdefault(spelling, ordered[0])
            else:
                countries.setdefault(spelling, ordered)

    places: dict[str, str] = {}
    for table in (_ALIASES, cities, single_countries, old_cities):
        for key, zone in table.items():
            places.setdefault(key, zone)
    for key, zone in places.items():
        # Typed zone names beat city names, except our aliases: "EST" is the IANA
        # fixed offset, but a US patient means New York time.
        if key in _ALIASES or key not in exact:
            exact[key] = zone
    for spelling in list(countries):
        if spelling in exact:  # One clear answer beats a list of the country's zones.
            del countries[spelling]

    return _ZoneIndex(
        available=available,
        canonical=offerable,
        links=links,
        exact=exact,
        countries=countries,
        places=tuple(item for item in places.items() if len(item[0]) >= _FUZZY_MIN_KEY_CHARS),
        names=tuple(names.items()),
    )


def _common_first(zone: str) -> int:
    return COMMON_ZONES.index(zone) if zone in COMMON_ZONES else len(COMMON_ZONES)


def _fuzzy_rank(query: str, index: _ZoneIndex) -> list[tuple[str, float]]:
    """Canonical zones whose names look like query, best first, with their scores."""
    if len(query) < _FUZZY_MIN_CHARS:
        return []
    keys = index.names if "/" in query else index.places
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(query)  # difflib caches details about the second sequence.
    scores: dict[str, float] = {}
    for key, zone in keys:
        matcher.set_seq1(key)
        # Cheap upper bounds first, as difflib.get_close_matches does.
        if matcher.real_quick_ratio() < _FUZZY_SUGGEST or matcher.quick_ratio() < _FUZZY_SUGGEST:
            continue
        score = matcher.ratio()
        if score >= _FUZZY_SUGGEST and score > scores.get(zone, 0.0):
            scores[zone] = score
    # Ties are broken by name so the answer does not depend on dict order.
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
