"""Every sentence the bot writes, in the patient's language (Babel and gettext catalogs).

Code writes English and asks a `Translator` for the patient's words:

    tr._("Your reminder is set for {time}.", time=tr.time(at))
    tr.n_("{n} day in a row", "{n} days in a row", streak)

The English text is the message id. `N_("...")` marks text defined at
import time (command descriptions, button labels) for extraction; it is
translated where it is shown, with `tr._(text)`.

There is no process-wide `gettext.install()`: the translator is chosen for
each update (handlers get it as `context.tr`) or each recipient (the
dispatcher passes it to the message builders), so two patients writing at the
same moment in different languages each get their own.

Catalogs are gettext `.po` files in the package, one per source module and
language (`content/locales/es/LC_MESSAGES/handlers.points.po`); all of a
language's files are read at start-up, so there is no compile step. The
tooling keeps them in step with the code:

    python -m content.i18n update   # extract messages, add new ones to every language
    python -m content.i18n check    # fail on a missing, empty, fuzzy or stale entry
"""

from __future__ import annotations

import argparse
import datetime as dt
import gettext
import io
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.lists import format_list
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal

from content.languages import LANGUAGES, LOCALES, Language

LOCALES_DIR = Path(__file__).with_name("locales")
ROOT = Path(__file__).resolve().parent.parent
# The packages whose text patients and staff read.
SOURCE_PACKAGES = ("bot", "handlers", "scheduler", "content", "storage")
KEYWORDS: dict[str, tuple[int, ...] | None] = {"_": None, "n_": (1, 2), "N_": None}
TEMPLATE = LOCALES_DIR / "acubot.pot"
# Fixed header dates: regenerating a catalog changes only its messages.
_HEADER_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)[^{}]*\}")
# Facts a translation must keep: numbers (0-10, 1.5, 8:00), codes (UB40, L2), commands.
# (ASCII boundaries: in Chinese a number sits right beside characters, as in 30秒.)
_FACT = re.compile(
    r"(?<![A-Za-z0-9_/])(?:\d+(?:[.:]\d+)?|[A-Z]{1,2}-?\d{1,2}|/[a-z_]+)(?![A-Za-z0-9_])"
)


def N_(message: str) -> str:
    """Mark text for extraction without translating it yet (it is shown via `tr._`)."""
    return message


@dataclass(frozen=True)
class Translator:
    """One language's messages and its Babel formats."""

    language: Language
    locale: Locale
    _messages: gettext.NullTranslations = field(repr=False)

    def _(self, message: str, /, **values: object) -> str:
        """The message in this language; `{name}` placeholders filled from `values`."""
        text = self._messages.gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The plural form for `n` (Spanish: 1 / other; Chinese: one form); `{n}` is n."""
        text = self._messages.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def date(self, value: dt.date, format: str = "medium") -> str:
        """A calendar date: "Dec 2, 2026", "2 dic 2026", "2026年12月2日"."""
        return format_date(value, format=format, locale=self.locale)

    def day(self, value: dt.date) -> str:
        """A weekday and date, short: "Wed, December 2", "mié, 2 de diciembre", "12月2日周三"."""
        return format_skeleton("MMMMEEEEd", value, locale=self.locale)

    def weekday(self, value: dt.date) -> str:
        return format_date(value, format="EEEE", locale=self.locale)

    def time(self, value: dt.time | dt.datetime) -> str:
        """A wall-clock time as the locale writes it ("7:30 PM", "19:30")."""
        if isinstance(value, dt.datetime):
            value = value.time()
        return format_time(value, format="short", locale=self.locale)

    def list(self, items: Sequence[str]) -> str:
        """Items joined as the language does: "a, b, and c", "a, b y c", "a、b和c"."""
        return format_list(list(items), locale=self.locale)


@cache
def translator(language: Language) -> Translator:
    """The translator of a language (built once per process)."""
    locale = Locale.parse(LOCALES[language])
    if language == "en":
        return Translator(language, locale, gettext.NullTranslations())
    catalog = read_language(language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translator(language, locale, gettext.GNUTranslations(buffer))


def translators() -> dict[Language, Translator]:
    return {language: translator(language) for language in LANGUAGES}


# ---- catalogs on disk -------------------------------------------------------


def language_dir(language: Language, root: Path = LOCALES_DIR) -> Path:
    return root / language / "LC_MESSAGES"


def read_po_file(path: Path, language: Language) -> Catalog:
    """One module's catalog of one language."""
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALES[language], domain=path.stem)


def read_language(language: Language, root: Path = LOCALES_DIR) -> Catalog:
    """All of a language's module catalogs, as one."""
    merged = Catalog(locale=LOCALES[language], domain="acubot", fuzzy=False)
    for path in sorted(language_dir(language, root).glob("*.po")):
        for message in read_po_file(path, language):
            if message.id:
                merged[message.id] = message
    return merged


@dataclass
class Extracted:
    """A message found in the code: its id(s), where, and the module whose .po holds it."""

    id: str | tuple[str, str]
    module: str
    locations: list[tuple[str, int]]
    comments: list[str]


def extract(root: Path = ROOT) -> dict[str, Extracted]:
    """Every `_`, `n_` and `N_` message in the source packages, by singular id."""
    found: dict[str, Extracted] = {}
    for package in SOURCE_PACKAGES:
        for filename, line, message, comments, _context in extract_from_dir(
            root / package,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        ):
            path = f"{package}/{filename}"
            key = message if isinstance(message, str) else message[0]
            if not key:
                continue
            entry = found.get(key)
            if entry is None:
                module = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
                message_id = message if isinstance(message, str) else (message[0], message[1])
                found[key] = Extracted(message_id, module, [(path, line)], list(comments))
            else:
                entry.locations.append((path, line))
                entry.comments.extend(c for c in comments if c not in entry.comments)
    return found


def _new_catalog(language: Language | None, domain: str) -> Catalog:
    return Catalog(
        locale=LOCALES[language] if language else None,
        domain=domain,
        project="Acubot",
        version="1",
        copyright_holder="Acubot contributors",
        msgid_bugs_address="",
        creation_date=_HEADER_DATE,
        revision_date=_HEADER_DATE,
        fuzzy=False,
    )


def _write(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, sort_output=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != buffer.getvalue():
        path.write_bytes(buffer.getvalue())


def update(root: Path = ROOT, locales: Path = LOCALES_DIR) -> list[str]:
    """Write the template and add every new message to each language (msgstr empty).

    A message's translation is kept wherever it was; a message the code no
    longer has is dropped (git keeps its history). Returns what changed.
    """
    extracted = extract(root)
    template = _new_catalog(None, "acubot")
    for entry in extracted.values():
        template.add(entry.id, locations=entry.locations, auto_comments=entry.comments)
    _write(locales / TEMPLATE.name, template)
    changes: list[str] = []
    for language in LANGUAGES:
        if language == "en":
            continue
        old = {
            m.id if isinstance(m.id, str) else m.id[0]: m
            for m in read_language(language, locales)
            if m.id
        }
        by_module: dict[str, Catalog] = {}
        for key, entry in extracted.items():
            catalog = by_module.setdefault(entry.module, _new_catalog(language, entry.module))
            previous = old.get(key)
            string: Any = "" if isinstance(entry.id, str) else ("", "")
            if previous is not None and _same_shape(previous.id, entry.id):
                string = previous.string
            else:
                changes.append(f"{language}: new message {key[:60]!r}")
            catalog.add(
                entry.id,
                string,
                locations=entry.locations,
                auto_comments=entry.comments,
                flags=[f for f in (previous.flags if previous else ()) if f != "python-format"],
            )
        stale = set(old) - set(extracted)
        changes.extend(f"{language}: dropped stale {key[:60]!r}" for key in sorted(stale))
        directory = language_dir(language, locales)
        for path in directory.glob("*.po") if directory.exists() else ():
            if path.stem not in by_module:
                path.unlink()
        for module, catalog in by_module.items():
            _write(directory / f"{module}.po", catalog)
    return changes


def _same_shape(old: object, new: str | tuple[str, str]) -> bool:
    return isinstance(old, str) == isinstance(new, str) and (
        isinstance(new, str) or (isinstance(old, tuple | list) and tuple(old) == tuple(new))
    )


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def facts(text: str) -> list[str]:
    """The numbers, codes and /commands in a message, outside its {placeholders}."""
    return _FACT.findall(_PLACEHOLDER.sub(" ", re.sub(r"<[^>]+>", " ", text)))


def problems(root: Path = ROOT, locales: Path = LOCALES_DIR) -> list[str]:
    """What is wrong with the catalogs: each problem names the language, file and message."""
    extracted = extract(root)
    found: list[str] = []
    for language in LANGUAGES:
        if language == "en":
            continue
        seen: dict[str, str] = {}
        directory = language_dir(language, locales)
        for path in sorted(directory.glob("*.po")) if directory.exists() else ():
            for message in read_po_file(path, language):
                if not message.id:
                    continue
                found.extend(_message_problems(language, path.name, message, extracted, seen))
        for key, entry in extracted.items():
            if key not in seen:
                found.append(
                    f"{language}: missing {key[:70]!r} (from {entry.locations[0][0]}); "
                    f"run `python -m content.i18n update` and translate it in "
                    f"{language}/LC_MESSAGES/{entry.module}.po"
                )
    return found


def _message_problems(
    language: str,
    filename: str,
    message: Message,
    extracted: dict[str, Extracted],
    seen: dict[str, str],
) -> Iterator[str]:
    key = message.id if isinstance(message.id, str) else message.id[0]
    where = f"{language}/{filename}: {key[:70]!r}"
    if key in seen:
        yield f"{where}: also in {seen[key]}"
    seen[key] = filename
    entry = extracted.get(key)
    if entry is None:
        yield f"{where}: stale (no longer in the code); run `python -m content.i18n update`"
        return
    if f"{entry.module}.po" != filename:
        yield f"{where}: belongs in {entry.module}.po; run `python -m content.i18n update`"
    if not _same_shape(message.id, entry.id):
        yield f"{where}: the code's singular/plural form changed; run update and translate"
        return
    if message.fuzzy:
        yield f"{where}: marked fuzzy; check the translation and remove the flag"
    strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
    if not all(strings):
        yield f"{where}: not translated yet"
        return
    ids = [message.id] if isinstance(message.id, str) else list(message.id)
    wanted = set().union(*(placeholders(text) for text in ids))
    for string in strings:
        if placeholders(string) != wanted:
            yield (
                f"{where}: placeholders {sorted(placeholders(string))} differ from "
                f"the English {sorted(wanted)}"
            )
        lost = sorted(set(facts(ids[-1])) - set(facts(string)))
        if lost:
            yield f"{where}: the translation lost {', '.join(lost)}"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m content.i18n", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=["update", "check"])
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "update":
        for change in update():
            print(change)
        return 0
    found = problems()
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s) in the translations", file=sys.stderr)
        return 1
    print("Translations complete: " + ", ".join(LANGUAGES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
