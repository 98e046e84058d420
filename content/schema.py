"""The shape of the content catalogue, validated when the bot starts.

Every YAML file in ``content/data`` is checked against these models; a
mistake stops start-up with the file, the entry and the field named.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Point codes are stored in WHO form: meridian letters + number ("BL40"),
# or extra points with a hyphen ("EX-B2", "EX-UE7").
POINT_CODE = re.compile(r"^(?:[A-Z]{2}[0-9]{1,2}|EX-[A-Z]{1,2}[0-9]{1,2})$")

Source = Literal["WHO", "DM", "GK", "ARTICLE"]

# Body regions a point can sit in; the picture renderer (issue 7) draws one
# schematic per region, so every point must name one.
Region = Literal[
    "lower_back",
    "buttock_hip",
    "back_of_knee",
    "calf",
    "inner_ankle",
    "outer_ankle",
    "outer_knee",
    "hand",
]


def _is_english(info: ValidationInfo) -> bool:
    """Whether a record being validated is the English source (checks of English words)."""
    context = info.context if isinstance(info.context, dict) else {}
    return context.get("language", "en") == "en"


class _Strict(BaseModel):
    """Refuses unknown keys, so a typo in a field name is reported, not ignored.

    `translated` names the fields each other language's overlay file gives
    (content/data/<language>/); `extra_names` the lists it adds to (names
    people type in that language). See content/catalogue.py.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    translated: ClassVar[frozenset[str]] = frozenset()
    extra_names: ClassVar[frozenset[str]] = frozenset()


class Technique(_Strict):
    """A home acupressure technique (the clinic's article has four)."""

    translated: ClassVar[frozenset[str]] = frozenset({"title", "position", "steps"})

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    point: str
    title: str = Field(min_length=3)
    position: str = Field(min_length=10, description="How to sit or lie.")
    steps: list[str] = Field(min_length=1)
    hold_seconds_min: int = Field(ge=5, le=600)
    hold_seconds_max: int = Field(ge=5, le=600)
    pressure: Literal["firm", "gentle", "steady"] = Field(
        description="How hard, as the steps say: firm (the article's 'press firmly'), "
        "gentle, or steady (body weight on a ball or roller)."
    )
    sides: Literal["both_at_once", "one_then_other", "midline"] = Field(
        description="Both sides pressed together, one side then the other, or one midline point."
    )
    from_clinic_article: bool = False

    @model_validator(mode="after")
    def _hold_range(self, info: ValidationInfo) -> Technique:
        if self.hold_seconds_max < self.hold_seconds_min:
            raise ValueError("hold_seconds_max must not be below hold_seconds_min")
        if not _is_english(info):
            return self  # the words checked below are English; translations follow them
        said = " ".join(self.steps).lower()
        if ("firm" in said) != (self.pressure == "firm"):
            raise ValueError("'pressure' must be firm exactly when the steps say to press firmly")
        if self.pressure == "firm" and "gentl" in said:
            raise ValueError("the steps say both firm and gentle")
        return self

    @property
    def rounds(self) -> int:
        """How many holds the technique takes: two when each side is done in turn."""
        return 2 if self.sides == "one_then_other" else 1


class Point(_Strict):
    """One acupressure point, as shown on its card."""

    translated: ClassVar[frozenset[str]] = frozenset(
        {"english", "location", "uses", "how_to_press", "cautions", "count_note", "article_name"}
    )
    extra_names: ClassVar[frozenset[str]] = frozenset({"aliases"})

    code: str
    meridian: str = Field(pattern=r"^[A-Z]{2}$|^EX$")
    pinyin: str = Field(min_length=2, description="With tone marks, e.g. Wěizhōng.")
    hanzi_traditional: str = Field(min_length=1)
    hanzi_simplified: str = Field(min_length=1)
    english: str = Field(min_length=2)
    aliases: list[str] = Field(
        default_factory=list,
        description="Extra names people type, beyond the code systems (which are automatic).",
    )
    region: Region
    location: str = Field(min_length=20)
    uses: str = Field(min_length=20)
    how_to_press: str = Field(min_length=20)
    technique: str | None = Field(default=None, description="Technique id from the article.")
    cautions: list[str] = Field(default_factory=list)
    pregnancy_caution: bool = False
    bilateral: bool = True
    count_note: str | None = Field(
        default=None,
        description="How many there are, when not one per side ('Two on each hand.').",
    )
    article_name: str | None = Field(
        default=None, description="The name the clinic's article gives the point."
    )
    from_clinic_article: bool = False
    sources: list[Source] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _code_form(cls, value: str) -> str:
        if not POINT_CODE.match(value):
            raise ValueError(f"{value!r} is not a WHO point code such as BL40 or EX-B2")
        return value


class Meridian(_Strict):
    """A channel: its names, course and why it matters for the low back."""

    translated: ClassVar[frozenset[str]] = frozenset(
        {"name", "chinese_name", "course", "low_back_link"}
    )
    extra_names: ClassVar[frozenset[str]] = frozenset({"aliases"})

    code: str = Field(pattern=r"^[A-Z]{2}$")
    aliases: list[str] = Field(default_factory=list)
    name: str = Field(min_length=3)
    chinese_name: str = Field(min_length=3)
    point_count: int = Field(ge=1, le=99)
    course: str = Field(min_length=20)
    low_back_link: str = Field(min_length=20)
    from_clinic_article: bool = False


class AvoidedPoint(_Strict):
    """A point traditionally avoided in pregnancy that the catalogue does not describe."""

    translated: ClassVar[frozenset[str]] = frozenset({"name", "where"})

    code: str
    name: str = Field(min_length=2)
    where: str = Field(min_length=10)

    @field_validator("code")
    @classmethod
    def _code_form(cls, value: str) -> str:
        if not POINT_CODE.match(value):
            raise ValueError(f"{value!r} is not a WHO point code such as LI4")
        return value


class Evidence(_Strict):
    """One research finding for /evidence, with where it comes from."""

    translated: ClassVar[frozenset[str]] = frozenset({"says", "source"})

    says: str = Field(min_length=20)
    source: str = Field(min_length=5)


def _needs(text: str, *placeholders: str) -> str:
    for placeholder in placeholders:
        if "{" + placeholder + "}" not in text:
            raise ValueError(f"must contain {{{placeholder}}}")
    return text


class Safety(_Strict):
    """Red flags, cautions, stop rules, the screen's replies and the evidence page."""

    translated: ClassVar[frozenset[str]] = frozenset(
        {
            "emergency",
            "see_doctor_soon",
            "do_not_press",
            "pressure_rule",
            "stop_rules",
            "no_change",
            "pregnancy",
            "disclaimer",
            "short_notice",
            "emergency_reply",
            "see_doctor_reply",
            "negated_reminder",
            "adverse_event_reply",
            "severe_pain_question",
            "evidence_summary",
            "keep_active",
        }
    )

    emergency: list[str] = Field(min_length=1)
    see_doctor_soon: list[str] = Field(min_length=1)
    do_not_press: list[str] = Field(min_length=1)
    pressure_rule: str = Field(min_length=20, max_length=400)
    stop_rules: list[str] = Field(min_length=1)
    no_change: str = Field(min_length=20)
    pregnancy: str = Field(min_length=20)
    avoided_in_pregnancy: list[AvoidedPoint] = Field(default_factory=list)
    disclaimer: str = Field(min_length=20)
    short_notice: str = Field(min_length=20, max_length=400)
    emergency_reply: str = Field(min_length=20)
    see_doctor_reply: str = Field(min_length=20)
    negated_reminder: str = Field(min_length=20)
    adverse_event_reply: str = Field(min_length=20)
    severe_pain_question: str = Field(min_length=20)
    evidence: list[Evidence] = Field(min_length=1)
    evidence_summary: str = Field(min_length=20)
    keep_active: str = Field(min_length=20)

    @field_validator("emergency_reply", "see_doctor_reply")
    @classmethod
    def _reply_placeholders(cls, value: str) -> str:
        return _needs(value, "number", "sign")

    @field_validator("negated_reminder")
    @classmethod
    def _reminder_placeholders(cls, value: str) -> str:
        return _needs(value, "number")


class Glossary(_Strict):
    """Plain-word explanations shown beside the cards that need them."""

    translated: ClassVar[frozenset[str]] = frozenset({"cun"})

    cun: str = Field(min_length=20, description="What a cun is, in everyday terms.")


class Routine(_Strict):
    """A daily home routine: a named sequence of the home techniques."""

    translated: ClassVar[frozenset[str]] = frozenset({"title", "description"})

    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=32)
    title: str = Field(min_length=3, max_length=40)
    description: str = Field(min_length=10, max_length=200)
    techniques: list[str] = Field(min_length=1)
    default: bool = False


# ---- Pictures (content/data/placements.yaml) -------------------------------
# Each picture is drawn from data: a view (a region close-up or a whole-body
# outline) describes its outlines and named landmarks once, in drawing units
# with the size of one cun given; each point is placed by a landmark and an
# offset in cun, or a fraction of the way between two landmarks. Everything
# is described for the side at x >= 0 and mirrored (x -> -x) for the other.

XY = tuple[float, float]

ShapeStyle = Literal[
    "body",  # skin: light fill, grey outline
    "body_line",  # a contour inside the body (buttock cleft, muscle edge)
    "bone",  # a bone: light blue fill, blue outline
    "hole",  # a hole in a bone (the sacrum's foramina)
    "bone_line",  # a bony edge drawn as a line (iliac crest)
    "tendon",  # a tendon band
    "crease",  # a skin crease (knee, wrist)
    "guide",  # a faint measuring line (the 1.5 and 3 cun lines)
]


class Shape(_Strict):
    """A line, a filled area or an ellipse, in drawing units."""

    kind: Literal["line", "area", "ellipse", "capsule"] = "line"
    style: ShapeStyle
    points: list[XY] = Field(default_factory=list)
    width: float | None = Field(default=None, gt=0, description="A capsule's width.")
    center: XY | None = None
    size: XY | None = Field(default=None, description="Ellipse width and height.")
    angle: float = 0.0
    smooth: bool = False
    mirror: bool = Field(default=True, description="Also draw its mirror image (x -> -x).")
    join_mirror: bool = Field(
        default=False,
        description="An area given as its right half: closed with its mirror image.",
    )

    @model_validator(mode="after")
    def _geometry(self) -> Shape:
        if self.kind == "ellipse":
            if self.center is None or self.size is None:
                raise ValueError("an ellipse needs 'center' and 'size'")
        elif len(self.points) < 2:
            raise ValueError(f"a {self.kind} needs at least two 'points'")
        if self.kind == "capsule" and (self.width is None or len(self.points) != 2):
            raise ValueError("a capsule needs two 'points' (its ends) and a 'width'")
        return self


class Landmark(_Strict):
    """A named, labelled feature of a view that points are placed from."""

    translated: ClassVar[frozenset[str]] = frozenset({"label"})

    label: str = Field(min_length=1)
    at: XY = Field(description="The reference spot points are measured from.")
    shapes: list[Shape] = Field(default_factory=list)
    label_at: XY | None = Field(default=None, description="Where the label goes.")
    leader: bool = Field(default=True, description="A thin line from the label to 'at'.")
    pointer: XY | None = Field(default=None, description="Where the leader ends, if not 'at'.")
    align: Literal["left", "center", "right"] = "center"
    level_line: bool = Field(
        default=False, description="When labelled, a dotted line across the view at its height."
    )


class Spine(_Strict):
    """Spinous processes at a fixed spacing; each vertebra becomes a landmark.

    A vertebra's landmark ("L2") is the hollow just below its spinous process,
    the level of the process's lower border that back points are measured from.
    """

    translated: ClassVar[frozenset[str]] = frozenset({"labels"})

    x: float = 0.0
    vertebrae: list[str] = Field(min_length=2, description="Top to bottom, e.g. T10 ... L5.")
    lowest_y: float = Field(description="Height of the landmark of the last vertebra.")
    spacing: float = Field(gt=0)
    process_size: XY
    label_x: float = Field(description="Where the level labels go, at the view's edge.")
    draw_processes: bool = Field(default=True, description="Draw each spinous process.")
    labels: dict[str, str] = Field(default_factory=dict, description="Longer labels.")

    def levels(self) -> dict[str, float]:
        """Each vertebra's landmark height, top to bottom."""
        count = len(self.vertebrae)
        return {
            name: self.lowest_y + (count - 1 - index) * self.spacing
            for index, name in enumerate(self.vertebrae)
        }


class Note(_Strict):
    """Free text on a picture, optionally with an arrow to a spot."""

    translated: ClassVar[frozenset[str]] = frozenset({"text"})

    text: str = Field(min_length=1)
    at: XY
    arrow_to: XY | None = None
    align: Literal["left", "center", "right"] = "center"
    size: Literal["small", "normal"] = "normal"


class View(_Strict):
    """One schematic: a region close-up or a whole-body outline."""

    translated: ClassVar[frozenset[str]] = frozenset({"title", "sides"})

    title: str = Field(min_length=3, description="What the viewer looks at.")
    cun: float = Field(gt=0, description="Drawing units per cun.")
    xlim: XY
    ylim: XY
    sides: tuple[str, str] | None = Field(
        default=None, description="Names of the halves at x < 0 and x > 0."
    )
    sides_at: XY = Field(default=(0.0, 0.0), description="Where the x > 0 side's name goes.")
    mirrored: bool = Field(
        default=True, description="False for a view of one side only (a side view)."
    )
    shapes: list[Shape] = Field(default_factory=list)
    spine: Spine | None = None
    landmarks: dict[str, Landmark] = Field(default_factory=dict)
    notes: list[Note] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct_landmarks(self) -> View:
        if self.spine:
            clash = set(self.spine.vertebrae) & set(self.landmarks)
            if clash:
                raise ValueError(f"landmark {sorted(clash)[0]!r} is also a vertebra")
        if self.xlim[0] >= self.xlim[1] or self.ylim[0] >= self.ylim[1]:
            raise ValueError("xlim and ylim must go from low to high")
        return self

    def landmark_names(self) -> list[str]:
        """Every landmark a point can be placed from: vertebrae and named ones."""
        return [*(self.spine.vertebrae if self.spine else []), *self.landmarks]

    def anchor(self, name: str) -> XY:
        """The reference spot of a landmark or vertebra, in drawing units."""
        if self.spine and name in self.spine.vertebrae:
            return (self.spine.x, self.spine.levels()[name])
        return self.landmarks[name].at


class Position(_Strict):
    """Where a point sits in a view: from a landmark, or between two."""

    anchor: str | list[str] | None = Field(
        default=None, description="A landmark, or several for a row of points (EX-B2)."
    )
    offset: XY = Field(default=(0.0, 0.0), description="In cun: sideways (+x), up (+y).")
    between: tuple[str, str] | None = None
    fraction: float | None = Field(default=None, gt=0, lt=1)

    def anchors(self) -> list[str]:
        """Every landmark this position depends on."""
        if self.between:
            return list(self.between)
        if isinstance(self.anchor, list):
            return list(self.anchor)
        return [self.anchor] if self.anchor else []

    def is_given(self) -> bool:
        return self.anchor is not None or self.between is not None

    def spots(self, view: View) -> list[XY]:
        """The point's spots in drawing units (x >= 0 side), one per anchor."""
        if self.between:
            (x1, y1), (x2, y2) = view.anchor(self.between[0]), view.anchor(self.between[1])
            share = self.fraction or 0.0
            return [(x1 + (x2 - x1) * share, y1 + (y2 - y1) * share)]
        dx, dy = self.offset[0] * view.cun, self.offset[1] * view.cun
        return [(x + dx, y + dy) for x, y in (view.anchor(name) for name in self.anchors())]

    @model_validator(mode="after")
    def _one_way(self) -> Position:
        if self.anchor is not None and self.between is not None:
            raise ValueError("give either 'anchor' (with 'offset') or 'between', not both")
        if self.between is not None and self.fraction is None:
            raise ValueError("'between' needs a 'fraction' (how far from the first landmark)")
        if self.between is None and self.fraction is not None:
            raise ValueError("'fraction' only goes with 'between'")
        if isinstance(self.anchor, list) and not self.anchor:
            raise ValueError("'anchor' list is empty")
        return self


class PointPlacement(Position):
    """A point's picture: its region, its spot and what to label."""

    translated: ClassVar[frozenset[str]] = frozenset({"find", "hint"})

    region: Region
    find: str = Field(min_length=10, max_length=90, description="The 'how to find it' line.")
    hint: str | None = Field(default=None, max_length=110)
    show: list[str] = Field(default_factory=list, description="Landmarks to label.")
    label_offset: XY = Field(
        default=(1.0, 1.0), description="Where the code label sits from a marker, in cun."
    )
    label_style: Literal["beside", "joint", "bracket"] = Field(
        default="beside",
        description="beside: a label by each marker; joint: one label per side with "
        "leaders to its markers; bracket: one label per side beside a column of markers.",
    )
    measure: list[Literal["x", "y"]] | None = Field(
        default=None, description="Distances to draw; default: the offset's non-zero parts."
    )
    measure_label: Literal["above", "below", "left", "right"] = "below"
    notes: list[Note] = Field(default_factory=list)

    @model_validator(mode="after")
    def _placed(self) -> PointPlacement:
        if not self.is_given():
            raise ValueError("a point needs 'anchor' (with 'offset') or 'between'")
        return self


class MeridianPoint(Position):
    """A catalogue point on a meridian picture; without a position, its
    close-up placement is used (its landmarks must exist in the body view)."""

    label_at: XY | None = Field(default=None, description="Label spot, drawing units.")


class MeridianPicture(_Strict):
    """A meridian's course over a whole-body view, with the catalogue's points."""

    translated: ClassVar[frozenset[str]] = frozenset({"caption"})

    view: str
    caption: str = Field(min_length=10, max_length=110)
    bilateral: bool = True
    course: list[Shape] = Field(min_length=1)
    points: dict[str, MeridianPoint] = Field(default_factory=dict)
    notes: list[Note] = Field(default_factory=list)


class Placements(_Strict):
    """Everything the picture renderer draws from (placements.yaml)."""

    regions: dict[Region, View]
    bodies: dict[str, View]
    points: dict[str, PointPlacement]
    meridians: dict[str, MeridianPicture]
