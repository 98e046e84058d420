"""A programme as guided steps: order, holds, techniques, pregnancy and removed points."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from content.catalogue import load_catalogue
from scheduler.programme_routine import programme_routine
from storage.programmes import ProgrammeSpec, ProgrammeStep

CATALOGUE = load_catalogue()
CODES = [point.code for point in CATALOGUE.points] + ["BL99", "ZZ1"]  # two not in the catalogue


def spec(*steps: ProgrammeStep) -> ProgrammeSpec:
    return ProgrammeSpec("Back", "Dr Lee", tuple(steps))


def test_holds_notes_and_techniques_come_from_the_right_place() -> None:
    plan = programme_routine(
        CATALOGUE, spec(ProgrammeStep("BL40", 75, "Slowly"), ProgrammeStep("KI7", 30))
    )
    bl40, ki7 = plan.steps
    assert (bl40.point.code, bl40.hold_seconds, bl40.note) == ("BL40", 75, "Slowly")
    assert bl40.technique is not None and bl40.technique.point == "BL40"
    assert ki7.technique is None and ki7.hold_seconds == 30
    assert plan.left_out == () and plan.missing == ()
    # 75 s on each side in turn for BL40 if its technique says so, 30 s for KI7, set-up time.
    assert plan.minutes >= 2


@given(
    st.lists(st.sampled_from(CODES), min_size=1, max_size=12, unique=True),
    st.integers(10, 180),
    st.booleans(),
)
def test_every_point_is_guided_left_out_or_missing_in_order(
    codes: list[str], hold: int, pregnant: bool
) -> None:
    plan = programme_routine(
        CATALOGUE, spec(*(ProgrammeStep(c, hold) for c in codes)), pregnant=pregnant
    )
    guided = [step.point.code for step in plan.steps]
    assert sorted(guided + list(plan.left_out) + list(plan.missing)) == sorted(codes)
    assert guided == [c for c in codes if c in guided]  # the practitioner's order
    assert all(step.hold_seconds == hold for step in plan.steps)
    assert all(CATALOGUE.point(code) is None for code in plan.missing)
    if pregnant:
        assert not any(step.point.pregnancy_caution for step in plan.steps)
    else:
        assert plan.left_out == ()
