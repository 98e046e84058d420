"""Loads and validates the content catalogue from `content/data/*.yaml`.

Called once when the bot starts; any mistake raises `ContentError` naming
the file, the entry and the field, so a broken edit never reaches patients.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from content.languages import LANGUAGES, Language
from content.names import names_of
from content.schema import (
    Glossary,
    Meridian,
    Placements,
    Point,
    Routine,
    Safety,
    Technique,
    View,
)

DATA_DIR = Path(__file__).with_name("data")
# Rendered pictures (`python -m content.pictures` draws them from placements.yaml).
PICTURES_DIR = Path(__file__).with_name("pictures")

# Points may sit on channels the catalogue does not describe in full.
OTHER_CHANNELS = {"SI": "Small Intestine meridian", "EX": "Extra points"}

Model = TypeVar("Model", bound=BaseModel)


class ContentError(Exception):
    """The content files are broken; the message says where and how."""


@dataclass(frozen=True)
class Catalogue:
    """Everything the bot knows, validated and cross-checked."""

    points: tuple[Point, ...]
    meridians: tuple[Meridian, ...]
    techniques: tuple[Technique, ...]
    routines: tuple[Routine, ...]
    safety: Safety
    glossary: Glossary
    placements: Placements | None = None
    language: Language = "en"
    # Lookup tables, filled by __post_init__ from the tuples above.
    _points_by_code: dict[str, Point] = field(init=False, repr=False, compare=False)
    _meridians_by_code: dict[str, Meridian] = field(init=False, repr=False, compare=False)
    _techniques_by_id: dict[str, Technique] = field(init=False, repr=False, compare=False)
    _routines_by_id: dict[str, Routine] = field(init=False, repr=False, compare=False)

    def point(self, code: str) -> Point | None:
        """The point with this WHO code, e.g. "BL40"."""
        return self._points_by_code.get(code)

    def meridian(self, code: str) -> Meridian | None:
        """The meridian with this code, e.g. "BL"."""
        return self._meridians_by_code.get(code)

    def technique(self, technique_id: str) -> Technique | None:
        """The home technique with this id."""
        return self._techniques_by_id.get(technique_id)

    def routine(self, routine_id: str) -> Routine:
        """The routine with this id; the default one for an unknown id."""
        return self._routines_by_id.get(routine_id) or self.default_routine

    @property
    def default_routine(self) -> Routine:
        return next(r for r in self.routines if r.default)

    def routine_steps(self, routine_id: str, *, pregnant: bool = False) -> list[Technique]:
        """The techniques of a routine, in order; in pregnancy, without flagged points."""
        steps = [self._techniques_by_id[t] for t in self.routine(routine_id).techniques]
        if pregnant:
            steps = [t for t in steps if not self._points_by_code[t.point].pregnancy_caution]
        return steps

    def left_out_in_pregnancy(self, routine_id: str) -> list[Technique]:
        """The routine's techniques whose point is traditionally avoided in pregnancy."""
        return [
            t
            for t in self.routine_steps(routine_id)
            if self._points_by_code[t.point].pregnancy_caution
        ]

    def routine_minutes(self, routine_id: str, *, pregnant: bool = False) -> int:
        """About how long a routine takes: every hold (both sides) plus time to get ready."""
        seconds = sum(
            t.hold_seconds_max * t.rounds + 20
            for t in self.routine_steps(routine_id, pregnant=pregnant)
        )
        return max(1, round(seconds / 60))

    def safe_in_pregnancy(self) -> list[Point]:
        """The catalogue's points that carry no pregnancy caution."""
        return [point for point in self.points if not point.pregnancy_caution]

    def points_on(self, meridian_code: str) -> list[Point]:
        """The catalogue's points on one channel, in catalogue order."""
        return [point for point in self.points if point.meridian == meridian_code]

    def channel_name(self, code: str) -> str:
        """A channel's display name, for described meridians and the others."""
        meridian = self.meridian(code)
        return meridian.name if meridian else OTHER_CHANNELS.get(code, code)

    def pictures_dir(self) -> Path:
        """Where this language's pictures are: content/pictures/ for English,
        content/pictures/<language>/ for the others (their labels are translated)."""
        return PICTURES_DIR if self.language == "en" else PICTURES_DIR / self.language

    def point_picture_path(self, code: str) -> Path:
        """The PNG that shows where a point is, labelled in the catalogue's language:
        content/pictures/points/<CODE>.png, or content/pictures/<lang>/points/<CODE>.png."""
        if self.point(code) is None:
            raise KeyError(f"no point {code!r} in the catalogue")
        return self.pictures_dir() / "points" / f"{code}.png"

    def meridian_picture_path(self, code: str) -> Path:
        """The PNG of a meridian's course, labelled in the catalogue's language:
        content/pictures/meridians/<CODE>.png, or content/pictures/<lang>/meridians/<CODE>.png."""
        if self.meridian(code) is None:
            raise KeyError(f"no meridian {code!r} in the catalogue")
        return self.pictures_dir() / "meridians" / f"{code}.png"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_points_by_code", {p.code: p for p in self.points})
        object.__setattr__(self, "_meridians_by_code", {m.code: m for m in self.meridians})
        object.__setattr__(self, "_techniques_by_id", {t.id: t for t in self.techniques})
        object.__setattr__(self, "_routines_by_id", {r.id: r for r in self.routines})


def load_catalogue(data_dir: Path = DATA_DIR, language: Language = "en") -> Catalogue:
    """Read, validate and cross-check every content file, in one language.

    English is `data_dir/*.yaml`; another language's words come from its
    overlay files `data_dir/<language>/*.yaml` (see `_translate`), merged into
    the English entries before they are validated, so every language's
    catalogue passes the same checks and has the same codes, numbers and order.
    """
    read = _Reader(data_dir, language)
    points = read.list("points.yaml", "points", Point, key="code")
    meridians = read.list("meridians.yaml", "meridians", Meridian, key="code")
    techniques = read.list("techniques.yaml", "techniques", Technique, key="id")
    routines = read.list("routines.yaml", "routines", Routine, key="id")
    safety = read.one("safety.yaml", Safety)
    glossary = read.one("glossary.yaml", Glossary)
    placements = read.one("placements.yaml", Placements)
    catalogue = Catalogue(
        tuple(points),
        tuple(meridians),
        tuple(techniques),
        tuple(routines),
        safety,
        glossary,
        placements,
        language,
    )
    _cross_check(catalogue, data_dir)
    _check_placements(catalogue, placements)
    return catalogue


def load_catalogues(data_dir: Path = DATA_DIR) -> dict[Language, Catalogue]:
    """The catalogue in every language the bot speaks; any gap stops start-up."""
    return {language: load_catalogue(data_dir, language) for language in LANGUAGES}


class _Reader:
    """Reads English files and, for another language, merges in its overlay files."""

    def __init__(self, data_dir: Path, language: Language) -> None:
        self.data_dir = data_dir
        self.language = language

    def _document(self, name: str) -> tuple[Any, Any, str]:
        english = _read_yaml(self.data_dir / name)
        if self.language == "en":
            return english, None, name
        where = f"{self.language}/{name}"
        overlay = _read_yaml(self.data_dir / self.language / name, shown=where)
        return english, overlay, where

    def list(self, name: str, top_key: str, model: type[Model], *, key: str) -> list[Model]:
        english, overlay, where = self._document(name)
        if not isinstance(english, dict) or not isinstance(english.get(top_key), list):
            raise ContentError(f"{name}: expected a top-level '{top_key}:' list")
        raw = english[top_key]
        if overlay is not None:
            if not isinstance(overlay, dict) or set(overlay) != {top_key}:
                raise ContentError(f"{where}: expected one top-level '{top_key}:' mapping")
            raw = _translate_list(model, raw, overlay[top_key], where, top_key, self.language)
        return _load_list(
            name if overlay is None else where, raw, model, key=key, language=self.language
        )

    def one(self, name: str, model: type[Model]) -> Model:
        english, overlay, where = self._document(name)
        if overlay is None:
            return _validate(model, english, name)
        raw = _translate(model, english, overlay, where, "", self.language)
        return _validate(model, raw, where, language=self.language)


# libyaml's safe loader parses the content ~10x faster than the pure-Python
# one (it is most of start-up's content loading); same documents, same types.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, shown: str | None = None) -> Any:
    shown = shown or path.name
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise ContentError(f"{shown}: file is missing from {path.parent}") from None
    except yaml.YAMLError as error:
        raise ContentError(f"{shown}: not valid YAML: {error}") from None
    except UnicodeDecodeError:
        raise ContentError(f"{shown}: not UTF-8 text") from None


def _load_list(
    where: str, raw_entries: list[Any], model: type[Model], *, key: str, language: Language = "en"
) -> list[Model]:
    entries: list[Model] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_entries, start=1):
        label = f"entry {index}"
        if isinstance(raw, dict) and raw.get(key):
            label += f" ({raw[key]})"
        entry = _validate(model, raw, f"{where}: {label}", language=language)
        identity = getattr(entry, key)
        if identity in seen:
            raise ContentError(f"{where}: {label}: duplicate {key} {identity!r}")
        seen.add(identity)
        entries.append(entry)
    if not entries:
        raise ContentError(f"{where}: the list is empty")
    return entries


def _validate(model: type[Model], raw: Any, where: str, *, language: Language = "en") -> Model:
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: expected a mapping of fields, got {type(raw).__name__}")
    try:
        return model.model_validate(raw, context={"language": language})
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "(entry)"
        message = problem["msg"].removeprefix("Value error, ")
        raise ContentError(f"{where}: field '{field}': {message}") from None


# ---- other languages: overlay files -----------------------------------------
# An overlay has the English file's shape, restricted to the fields each model
# lists in `translated` (and `extra_names`): a list of records with a `code`
# or `id` becomes a mapping by that key, other lists stay lists of the same
# length, nested mappings keep their keys. Everything else (codes, numbers,
# geometry, flags) comes from English only.


def _translate(
    model: type[BaseModel], english: Any, overlay: Any, where: str, path: str, language: Language
) -> Any:
    """English raw data for one record with the overlay's words put in."""
    if not isinstance(english, dict):
        return english
    here = f"{where}: {path}" if path else where
    if overlay is None:
        overlay = {}
    if not isinstance(overlay, dict):
        raise ContentError(f"{here}: expected a mapping of translated fields in {language}")
    result = dict(english)
    allowed: set[str] = set()
    for name, info in model.model_fields.items():
        field_path = f"{path} → {name}" if path else name
        present = english.get(name) is not None
        if name in _translated(model):
            allowed.add(name)
            if not present:
                if overlay.get(name) is not None:
                    raise ContentError(
                        f"{where}: {field_path}: English has no such text, so {language} must not"
                    )
                continue
            result[name] = _translated_value(
                english[name], overlay.get(name), where, field_path, language
            )
        elif name in _extra_names(model):
            allowed.add(name)
            extra = overlay.get(name) or []
            if not isinstance(extra, list) or not all(isinstance(v, str) for v in extra):
                raise ContentError(f"{where}: {field_path}: expected a list of names in {language}")
            result[name] = [*(english.get(name) or []), *extra]
        else:
            nested = _nested(info.annotation)
            if nested is None or not present:
                continue
            shape, inner = nested
            allowed.add(name)
            sub = overlay.get(name)
            if shape == "one":
                result[name] = _translate(inner, english[name], sub, where, field_path, language)
            elif shape == "dict":
                result[name] = _translate_dict(
                    inner, english[name], sub, where, field_path, language
                )
            else:
                result[name] = _translate_list(
                    inner, english[name], sub, where, field_path, language
                )
    unknown = sorted(set(overlay) - allowed)
    if unknown:
        raise ContentError(
            f"{here}: field '{unknown[0]}' is not translated text (only "
            f"{', '.join(sorted(allowed)) or 'nothing'} is, here)"
        )
    return result


def _translated_value(english: Any, given: Any, where: str, path: str, language: Language) -> Any:
    if english == [] and given in (None, []):
        return []  # an empty English list (a point with no cautions): nothing to translate
    if given is None or given == "" or given == []:
        raise ContentError(f"{where}: {path}: missing in {language}")
    if isinstance(english, str):
        if not isinstance(given, str):
            raise ContentError(f"{where}: {path}: expected text in {language}")
        return given
    if isinstance(english, list):
        if not isinstance(given, list) or not all(isinstance(v, str) and v for v in given):
            raise ContentError(f"{where}: {path}: expected a list of texts in {language}")
        if len(given) != len(english):
            raise ContentError(
                f"{where}: {path}: {len(given)} items in {language}, English has {len(english)}"
            )
        return given
    if isinstance(english, dict):
        if not isinstance(given, dict) or set(given) != set(english):
            raise ContentError(
                f"{where}: {path}: expected the keys {', '.join(map(str, english))} in {language}"
            )
        return given
    return given


def _translate_dict(
    model: type[BaseModel], english: Any, overlay: Any, where: str, path: str, language: Language
) -> Any:
    if not isinstance(english, dict):
        return english
    overlay = overlay if overlay is not None else {}
    if not isinstance(overlay, dict):
        raise ContentError(f"{where}: {path}: expected a mapping in {language}")
    extra = sorted(set(map(str, overlay)) - set(map(str, english)))
    if extra:
        raise ContentError(f"{where}: {path} → {extra[0]}: no such entry in English")
    return {
        key: _translate(model, value, overlay.get(key), where, f"{path} → {key}", language)
        for key, value in english.items()
    }


def _translate_list(
    model: type[BaseModel], english: Any, overlay: Any, where: str, path: str, language: Language
) -> Any:
    if not isinstance(english, list):
        return english
    key = next((k for k in ("code", "id") if k in model.model_fields), None)
    if key is None:
        overlay = overlay if overlay is not None else []
        if not isinstance(overlay, list) or len(overlay) != len(english):
            raise ContentError(
                f"{where}: {path}: expected a list of {len(english)} entries in {language}, "
                "in the English order"
            )
        return [
            _translate(model, value, given, where, f"{path} → entry {index}", language)
            for index, (value, given) in enumerate(zip(english, overlay, strict=True), start=1)
        ]
    overlay = overlay if overlay is not None else {}
    if not isinstance(overlay, dict):
        raise ContentError(f"{where}: {path}: expected a mapping by {key} in {language}")
    ids = [entry.get(key) for entry in english if isinstance(entry, dict)]
    extra = sorted(set(map(str, overlay)) - set(map(str, ids)))
    if extra:
        raise ContentError(f"{where}: {path} → {extra[0]}: no such {key} in English")
    return [
        _translate(
            model, entry, overlay.get(entry.get(key)), where, f"{path} → {entry.get(key)}", language
        )
        if isinstance(entry, dict)
        else entry
        for entry in english
    ]


def _translated(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(getattr(model, "translated", ()))


def _extra_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(getattr(model, "extra_names", ()))


def _nested(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """Whether a field holds records with translated text: one, a list, or a mapping of them."""
    for candidate in (annotation, *get_args(annotation)):
        origin = get_origin(candidate)
        args = get_args(candidate)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return ("one", candidate) if _has_text(candidate) else None
        if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            return ("list", args[0]) if _has_text(args[0]) else None
        if origin is dict and len(args) == 2:
            inner = args[1]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return ("dict", inner) if _has_text(inner) else None
    return None


def _has_text(model: type[BaseModel], seen: frozenset[type] = frozenset()) -> bool:
    if _translated(model) or _extra_names(model):
        return True
    if model in seen:
        return False
    return any(
        (nested := _nested(info.annotation)) is not None and _has_text(nested[1], seen | {model})
        for info in model.model_fields.values()
    )


def _cross_check(catalogue: Catalogue, data_dir: Path) -> None:
    known_channels = {m.code for m in catalogue.meridians} | set(OTHER_CHANNELS)
    for point in catalogue.points:
        where = f"points.yaml: {point.code}"
        if point.meridian not in known_channels:
            raise ContentError(f"{where}: field 'meridian': unknown channel {point.meridian!r}")
        expected_prefix = point.code.split("-")[0] if point.meridian == "EX" else point.meridian
        if not point.code.startswith(expected_prefix):
            raise ContentError(f"{where}: field 'meridian': code does not belong to it")
        if point.technique and catalogue.technique(point.technique) is None:
            raise ContentError(f"{where}: field 'technique': no technique {point.technique!r}")
    for technique in catalogue.techniques:
        if catalogue.point(technique.point) is None:
            raise ContentError(
                f"techniques.yaml: {technique.id}: field 'point': no point {technique.point!r}"
            )
    for routine in catalogue.routines:
        for technique_id in routine.techniques:
            if catalogue.technique(technique_id) is None:
                raise ContentError(
                    f"routines.yaml: {routine.id}: field 'techniques': "
                    f"no technique {technique_id!r}"
                )
    if sum(routine.default for routine in catalogue.routines) != 1:
        raise ContentError("routines.yaml: exactly one routine must have 'default: true'")
    _check_unique_names(catalogue.points)


def _check_unique_names(points: Iterable[Point]) -> None:
    # Two points answering to the same typed name would make lookups ambiguous.
    owner: dict[str, str] = {}
    for point in points:
        for name in names_of(point):
            if owner.setdefault(name, point.code) != point.code:
                raise ContentError(
                    f"points.yaml: {point.code}: name {name!r} is also used by {owner[name]}"
                )


def _check_placements(catalogue: Catalogue, placements: Placements) -> None:
    """Every point and meridian can be drawn: placed from landmarks that exist."""
    where = "placements.yaml"
    for code, placed in placements.points.items():
        point = catalogue.point(code)
        if point is None:
            raise ContentError(f"{where}: points: {code}: no such point in points.yaml")
        if placed.region != point.region:
            raise ContentError(
                f"{where}: points: {code}: field 'region': {placed.region!r} does not "
                f"match the point's region {point.region!r} in points.yaml"
            )
    for point in catalogue.points:
        placement = placements.points.get(point.code)
        if placement is None:
            raise ContentError(
                f"{where}: no placement for point {point.code} — add one under 'points:' "
                f"(its region {point.region!r}, an anchor landmark and offsets in cun)"
            )
        view = placements.regions.get(point.region)
        if view is None:
            raise ContentError(
                f"{where}: no view for region {point.region!r} (needed by {point.code}) — "
                f"add one under 'regions:'"
            )
        context = f"{where}: points: {point.code}"
        _check_landmarks(context, "anchor", placement.anchors(), view, point.region)
        _check_landmarks(context, "show", placement.show, view, point.region)
    for meridian in catalogue.meridians:
        picture = placements.meridians.get(meridian.code)
        if picture is None:
            raise ContentError(
                f"{where}: no course for meridian {meridian.code} — add one under 'meridians:'"
            )
        context = f"{where}: meridians: {meridian.code}"
        body = placements.bodies.get(picture.view)
        if body is None:
            raise ContentError(
                f"{context}: field 'view': no body view {picture.view!r} under 'bodies:'"
            )
        on_channel = {point.code for point in catalogue.points_on(meridian.code)}
        for code in picture.points:
            if code not in on_channel:
                raise ContentError(
                    f"{context}: field 'points': {code} is not a catalogue point on {meridian.code}"
                )
        for code in sorted(on_channel):
            given = picture.points.get(code)
            position = given if given is not None and given.is_given() else placements.points[code]
            _check_landmarks(
                f"{context}: point {code}",
                "anchor",
                position.anchors(),
                body,
                picture.view,
                remedy=f" — give its position under meridians: {meridian.code}: points:",
            )
    for name in placements.meridians:
        if catalogue.meridian(name) is None:
            raise ContentError(f"{where}: meridians: {name}: no such meridian in meridians.yaml")


def _check_landmarks(
    context: str, field: str, names: list[str], view: View, view_name: str, *, remedy: str = ""
) -> None:
    known = view.landmark_names()
    for name in names:
        if name not in known:
            raise ContentError(
                f"{context}: field '{field}': {name!r} is not a landmark of {view_name!r} "
                f"(it has: {', '.join(known)}){remedy}"
            )
