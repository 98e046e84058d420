"""The shape of the content catalogue, validated when the bot starts.

Every YAML file in ``content/data`` is checked against these models; a
mistake stops start-up with the file, the entry and the field named.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Point codes are stored in WHO form: meridian letters + number ("BL40"),
# or extra points with a hyphen ("EX-B2", "EX-UE7").
POINT_CODE = re.compile(r"^(?:[A-Z]{2}\d{1,2}|EX-[A-Z]{1,2}\d{1,2})$")

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


class _Strict(BaseModel):
    """Refuses unknown keys, so a typo in a field name is reported, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Technique(_Strict):
    """A home acupressure technique (the clinic's article has four)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    point: str
    title: str = Field(min_length=3)
    position: str = Field(min_length=10, description="How to sit or lie.")
    steps: list[str] = Field(min_length=1)
    hold_seconds_min: int = Field(ge=5, le=600)
    hold_seconds_max: int = Field(ge=5, le=600)
    from_clinic_article: bool = False

    @model_validator(mode="after")
    def _hold_range(self) -> Technique:
        if self.hold_seconds_max < self.hold_seconds_min:
            raise ValueError("hold_seconds_max must not be below hold_seconds_min")
        return self


class Point(_Strict):
    """One acupressure point, as shown on its card."""

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

    code: str = Field(pattern=r"^[A-Z]{2}$")
    aliases: list[str] = Field(default_factory=list)
    name: str = Field(min_length=3)
    chinese_name: str = Field(min_length=3)
    point_count: int = Field(ge=1, le=99)
    course: str = Field(min_length=20)
    low_back_link: str = Field(min_length=20)
    from_clinic_article: bool = False


class Safety(_Strict):
    """Red flags and self-care cautions, shown at /start and with /safety."""

    emergency: list[str] = Field(min_length=1)
    see_doctor_soon: list[str] = Field(min_length=1)
    do_not_press: list[str] = Field(min_length=1)
    pressing_gently: str = Field(min_length=20)
    pregnancy: str = Field(min_length=20)
    disclaimer: str = Field(min_length=20)
    short_notice: str = Field(min_length=20, max_length=400)


class Glossary(_Strict):
    """Plain-word explanations shown beside the cards that need them."""

    cun: str = Field(min_length=20, description="What a cun is, in everyday terms.")


class Routine(_Strict):
    """A daily home routine: a named sequence of the home techniques."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=32)
    title: str = Field(min_length=3, max_length=40)
    description: str = Field(min_length=10, max_length=200)
    techniques: list[str] = Field(min_length=1)
    default: bool = False
