"""The /progress chart: 30 local days, done days, pain line, activity points.

Drawn with matplotlib's object API on an Agg canvas (no display, no global
pyplot state), sized and lettered to be read on a phone. It takes ~100 ms of
CPU, so the bot runs it in its worker process (handlers/offload.py), never
on the event loop.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from storage.progress import ProgressData

DAYS = 30
# Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
DONE_COLOUR = "#009E73"  # bluish green
PAIN_COLOUR = "#D55E00"  # vermillion
ACTIVITY_COLOUR = "#0072B2"  # blue
WIDTH_IN, HEIGHT_IN, DPI = 10, 7, 110  # 1100 x 770 px


def render_progress_chart(data: ProgressData, today: date) -> bytes:
    """A PNG of the last 30 local days ending `today`."""
    # Imported here: matplotlib takes half a second to import, and only
    # /progress needs it, so the bot starts without it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    first = today - timedelta(days=DAYS - 1)
    days = [first + timedelta(days=offset) for offset in range(DAYS)]
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    axes.set_facecolor("white")

    done = set(data.done_days)
    done_x = [index for index, day in enumerate(days) if day in done]
    axes.bar(
        done_x,
        [10.6] * len(done_x),
        width=0.8,
        color=DONE_COLOUR,
        alpha=0.18,
        label="Routine done",
    )
    axes.scatter(done_x, [-0.6] * len(done_x), marker="s", s=90, color=DONE_COLOUR, zorder=3)

    pain = [
        (days.index(s.local_date), s.score) for s in data.pain if first <= s.local_date <= today
    ]
    if pain:
        axes.plot(
            [x for x, _ in pain],
            [y for _, y in pain],
            color=PAIN_COLOUR,
            linewidth=3.5,
            marker="o",
            markersize=9,
            label="Back pain (0-10)",
            zorder=4,
        )
    activity = [
        (days.index(s.local_date), s.score) for s in data.activity if first <= s.local_date <= today
    ]
    if activity:
        axes.scatter(
            [x for x, _ in activity],
            [y for _, y in activity],
            marker="D",
            s=150,
            color=ACTIVITY_COLOUR,
            label="Pain limited activities (0-10)",
            zorder=5,
        )

    axes.set_xlim(-0.7, DAYS - 0.3)
    axes.set_ylim(-1.2, 10.8)
    axes.set_yticks(range(0, 11, 2))
    ticks = list(range(DAYS - 1, -1, -7))[::-1]
    axes.set_xticks(ticks)
    axes.set_xticklabels([f"{days[i]:%-d %b}" for i in ticks])
    axes.tick_params(labelsize=15)
    axes.set_ylabel("Score (0 = none, 10 = worst)", fontsize=15)
    axes.grid(axis="y", color="#dddddd")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(
        f"Your back: {first:%-d %b} – {today:%-d %b %Y}", fontsize=22, fontweight="bold", pad=16
    )
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=14, frameon=False)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.88, bottom=0.2)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def warm_up() -> None:
    """Imports matplotlib and draws once, so the first patient's chart is quick."""
    render_progress_chart(ProgressData(done_days=(), pain=(), activity=()), date(2000, 1, 1))
