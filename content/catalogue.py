"""Loads and validates the content catalogue from `content/data/*.yaml`.

Called once when the bot starts; any mistake raises `ContentError` naming
the file, the entry and the field, so a broken edit never reaches patients.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

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

    def point_picture_path(self, code: str) -> Path:
        """The PNG that shows where a point is: content/pictures/points/<CODE>.png."""
        if self.point(code) is None:
            raise KeyError(f"no point {code!r} in the catalogue")
        return PICTURES_DIR / "points" / f"{code}.png"

    def meridian_picture_path(self, code: str) -> Path:
        """The PNG of a meridian's course: content/pictures/meridians/<CODE>.png."""
        if self.meridian(code) is None:
            raise KeyError(f"no meridian {code!r} in the catalogue")
        return PICTURES_DIR / "meridians" / f"{code}.png"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_points_by_code", {p.code: p for p in self.points})
        object.__setattr__(self, "_meridians_by_code", {m.code: m for m in self.meridians})
        object.__setattr__(self, "_techniques_by_id", {t.id: t for t in self.techniques})
        object.__setattr__(self, "_routines_by_id", {r.id: r for r in self.routines})


def load_catalogue(data_dir: Path = DATA_DIR) -> Catalogue:
    """Read, validate and cross-check every content file."""
    points = _load_list(data_dir / "points.yaml", "points", Point, key="code")
    meridians = _load_list(data_dir / "meridians.yaml", "meridians", Meridian, key="code")
    techniques = _load_list(data_dir / "techniques.yaml", "techniques", Technique, key="id")
    routines = _load_list(data_dir / "routines.yaml", "routines", Routine, key="id")
    safety = _load_one(data_dir / "safety.yaml", Safety)
    glossary = _load_one(data_dir / "glossary.yaml", Glossary)
    placements = _load_one(data_dir / "placements.yaml", Placements)
    catalogue = Catalogue(
        tuple(points),
        tuple(meridians),
        tuple(techniques),
        tuple(routines),
        safety,
        glossary,
        placements,
    )
    _cross_check(catalogue, data_dir)
    _check_placements(catalogue, placements)
    return catalogue


# libyaml's safe loader parses the content ~10x faster than the pure-Python
# one (it is most of start-up's content loading); same documents, same types.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise ContentError(f"{path.name}: file is missing from {path.parent}") from None
    except yaml.YAMLError as error:
        raise ContentError(f"{path.name}: not valid YAML: {error}") from None
    except UnicodeDecodeError:
        raise ContentError(f"{path.name}: not UTF-8 text") from None


def _load_list(path: Path, top_key: str, model: type[Model], *, key: str) -> list[Model]:
    document = _read_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get(top_key), list):
        raise ContentError(f"{path.name}: expected a top-level '{top_key}:' list")
    entries: list[Model] = []
    seen: set[str] = set()
    for index, raw in enumerate(document[top_key], start=1):
        label = f"entry {index}"
        if isinstance(raw, dict) and raw.get(key):
            label += f" ({raw[key]})"
        entry = _validate(model, raw, f"{path.name}: {label}")
        identity = getattr(entry, key)
        if identity in seen:
            raise ContentError(f"{path.name}: {label}: duplicate {key} {identity!r}")
        seen.add(identity)
        entries.append(entry)
    if not entries:
        raise ContentError(f"{path.name}: the '{top_key}' list is empty")
    return entries


def _load_one(path: Path, model: type[Model]) -> Model:
    return _validate(model, _read_yaml(path), path.name)


def _validate(model: type[Model], raw: Any, where: str) -> Model:
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: expected a mapping of fields, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "(entry)"
        message = problem["msg"].removeprefix("Value error, ")
        raise ContentError(f"{where}: field '{field}': {message}") from None


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
