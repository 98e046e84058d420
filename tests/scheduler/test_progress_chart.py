"""The /progress chart reads without a guide (issue 11.16)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from PIL import Image

from scheduler.progress_chart import (
    DONE_COLOUR,
    PAIN_COLOUR,
    draw_progress_chart,
    render_progress_chart,
)
from storage.progress import ProgressData, Score

TODAY = date(2027, 6, 30)
FULL = ProgressData(
    done_days=tuple(TODAY - timedelta(days=d) for d in (29, 27, 20, 9, 8, 2, 1, 0)),
    pain=tuple(Score(TODAY - timedelta(days=d), s) for d, s in ((29, 10), (20, 6), (8, 0), (0, 3))),
    activity=tuple(Score(TODAY - timedelta(days=d), s) for d, s in ((27, 10), (13, 0), (6, 7))),
)
CASES = {
    "full": FULL,
    "one day": ProgressData((TODAY,), (Score(TODAY, 10),), ()),
    "weekly answer only": ProgressData((), (), (Score(TODAY, 0),)),
}


def _marks(figure):  # type: ignore[no-untyped-def]
    """Every artist that draws data: lines and scatter collections."""
    for axes in figure.axes:
        yield from (line for line in axes.get_lines() if len(line.get_xdata()))
        yield from (
            c for c in axes.collections if isinstance(c, PathCollection) and len(c.get_offsets())
        )


@pytest.mark.parametrize("case", CASES)
def test_every_mark_is_explained_in_the_legend(case: str) -> None:
    figure = draw_progress_chart(CASES[case], TODAY)
    legend = figure.axes[2].get_legend()
    explained = [text.get_text() for text in legend.get_texts()]
    marks = list(_marks(figure))
    assert marks
    for mark in marks:
        assert mark.get_label() in explained, mark.get_label()
    assert len(explained) == len(marks)  # and nothing explained that is not drawn


def test_marks_differ_in_shape_not_only_colour() -> None:
    figure = draw_progress_chart(FULL, TODAY)
    shapes = {}
    for mark in _marks(figure):
        if isinstance(mark, Line2D):
            shapes[mark.get_label()] = ("line", mark.get_marker())
        else:
            filled = mark.get_facecolors().size > 0
            shapes[mark.get_label()] = (mark.get_paths()[0].vertices.tobytes(), filled)
    assert len(set(shapes.values())) == len(shapes) == 4
    # Routine days and pain are far apart in colour (Okabe-Ito green and vermillion)...
    distance = sum(
        (a - b) ** 2 for a, b in zip(to_rgb(DONE_COLOUR), to_rgb(PAIN_COLOUR), strict=True)
    )
    assert distance**0.5 > 0.5
    # ...and in different places: routine days in their own strip, not behind the pain line.
    scores, strip, _key = figure.axes
    assert [c.get_label() for c in scores.collections] == [
        "Weekly: how much pain limited your activities (0–10)"
    ]
    assert {c.get_label() for c in strip.collections} == {"Routine done", "Routine not done"}


@pytest.mark.parametrize("case", CASES)
def test_no_label_touches_the_edge(case: str) -> None:
    """A white margin all round: titles, tick labels and the legend stay inside."""
    with Image.open(io.BytesIO(render_progress_chart(CASES[case], TODAY))) as image:
        pixels = image.convert("RGB")
        width, height = pixels.size
        margin = 24  # pixels
        for x in range(width):
            for y in (*range(margin), *range(height - margin, height)):
                assert pixels.getpixel((x, y)) == (255, 255, 255), (x, y)
        for y in range(height):
            for x in (*range(margin), *range(width - margin, width)):
                assert pixels.getpixel((x, y)) == (255, 255, 255), (x, y)


def test_days_before_the_first_record_are_not_marked_missed() -> None:
    figure = draw_progress_chart(CASES["one day"], TODAY)
    strip = figure.axes[1]
    assert [c.get_label() for c in strip.collections] == ["Routine done"]


def test_rest_days_and_the_bots_downtime_are_not_marked_missed() -> None:
    """As for the streak: only a planned day the patient could have done and did not."""
    from storage.progress import PracticePlan

    monday = TODAY - timedelta(days=TODAY.weekday() + 14)  # two weeks ago
    mon_wed_fri = 0b10101
    data = ProgressData(
        done_days=(monday, monday + timedelta(days=2)),
        pain=(),
        activity=(),
        missed_days=(monday + timedelta(days=4),),  # that Friday the bot was down
        plan=PracticePlan(mon_wed_fri, monday),
    )
    figure = draw_progress_chart(data, TODAY, length=42)
    strip = figure.axes[1]
    (missed,) = [c for c in strip.collections if c.get_label() == "Routine not done"]
    first = TODAY - timedelta(days=41)
    days = {first + timedelta(days=int(x)) for x, _ in missed.get_offsets()}
    assert days and all(day.weekday() in (0, 2, 4) for day in days)
    assert monday + timedelta(days=4) not in days and TODAY not in days
