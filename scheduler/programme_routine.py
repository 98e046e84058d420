"""A home programme as a guided routine: its points in order, each with the programme's hold.

Pure: the catalogue (in the patient's language) and one programme version
in, the steps out. A point with a catalogue technique is guided by that
technique's position and steps; a point without one by the point's own
location and how-to-press text. Pregnancy leaves out points traditionally
avoided in pregnancy, as the clinic's routines do; a point the catalogue no
longer has is skipped, and said so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from content.catalogue import Catalogue
from content.schema import Point, Technique
from storage.programmes import ProgrammeSpec, ProgrammeStep

PROGRAMME_ROUTINE = "programme"  # the routine id of a subscription that follows an enrolment
# Time to get into position for each step, as Catalogue.routine_minutes counts it.
SET_UP_SECONDS = 20


@dataclass(frozen=True, slots=True)
class ProgrammeRoutineStep:
    point: Point
    hold_seconds: int
    note: str | None  # the practitioner's note for this step
    technique: Technique | None  # the catalogue's guided technique for the point, if any

    @property
    def rounds(self) -> int:
        """Holds this step takes: as its technique says, else one per side of a paired point
        (the step tells the patient to do the other side next)."""
        if self.technique is not None:
            return self.technique.rounds
        return 2 if self.point.bilateral else 1


@dataclass(frozen=True, slots=True)
class ProgrammeRoutine:
    steps: tuple[ProgrammeRoutineStep, ...]
    left_out: tuple[str, ...]  # codes left out for pregnancy
    missing: tuple[str, ...]  # codes no longer in the catalogue

    @property
    def minutes(self) -> int:
        """About how long it takes: every hold (both sides where done in turn), plus set-up."""
        seconds = sum(step.hold_seconds * step.rounds + SET_UP_SECONDS for step in self.steps)
        return max(1, round(seconds / 60))


def programme_routine(
    catalogue: Catalogue, spec: ProgrammeSpec, *, pregnant: bool = False
) -> ProgrammeRoutine:
    """The guided steps of a programme version for one patient."""
    return routine_of_steps(catalogue, spec.steps, pregnant=pregnant)


def programme_minutes(
    catalogue: Catalogue, steps: Sequence[ProgrammeStep], *, pregnant: bool = False
) -> int:
    """About how long a programme's routine takes this patient (what the reminder says)."""
    return routine_of_steps(catalogue, steps, pregnant=pregnant).minutes


def routine_of_steps(
    catalogue: Catalogue, programme_steps: Sequence[ProgrammeStep], *, pregnant: bool = False
) -> ProgrammeRoutine:
    """The guided steps of a programme's points for one patient."""
    steps: list[ProgrammeRoutineStep] = []
    left_out: list[str] = []
    missing: list[str] = []
    for step in programme_steps:
        point = catalogue.point(step.point)
        if point is None:
            missing.append(step.point)
            continue
        if pregnant and point.pregnancy_caution:
            left_out.append(point.code)
            continue
        technique = catalogue.technique(point.technique) if point.technique else None
        steps.append(ProgrammeRoutineStep(point, step.hold_seconds, step.note, technique))
    return ProgrammeRoutine(tuple(steps), tuple(left_out), tuple(missing))
