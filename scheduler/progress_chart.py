"""The /progress chart: 30 local days, pain line, weekly activity marks, routine days.

Drawn with matplotlib's object API on an Agg canvas (no display, no global
pyplot state), sized and lettered to be read on a phone. Every mark has a
legend entry, and each kind of mark differs in shape as well as colour
(Okabe-Ito colours, which stay apart with every common colour-vision
deficiency), so no one has to tell two colours apart to read it. Routine days
sit in their own strip under the scores, not behind them.

`render_progress_chart` is a plain function, data in, PNG bytes out, with no
Telegram in it: tests call it directly. It takes ~100 ms of CPU, so the bot
runs it in its worker process (handlers/progress.py hands it to
handlers/offload.py), never on the event loop. Its words arrive already in
the patient's language (`ChartWords`), with a font that has Chinese glyphs
when they need one.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from content.catalogue import PICTURES_DIR
from content.i18n import N_
from storage.progress import ProgressData

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DAYS = 30
# Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
PAIN_COLOUR = "#D55E00"  # vermillion
ACTIVITY_COLOUR = "#0072B2"  # blue
DONE_COLOUR = "#009E73"  # bluish green
NOT_DONE_COLOUR = "#999999"  # grey
WIDTH_IN, HEIGHT_IN, DPI = 10, 7.5, 110  # 1100 x 825 px
FONT = 15

PAIN_LABEL = N_("Back pain (0–10)")
ACTIVITY_LABEL = N_("Weekly: how much pain limited your activities (0–10)")
DONE_LABEL = N_("Routine done")
NOT_DONE_LABEL = N_("Routine not done")
SCALE_LABEL = N_("0 = no pain, 10 = worst")
ROUTINE_LABEL = N_("Routine")
TITLE = N_("Your back: {first} – {last}")
# Fonts with the Chinese glyphs: the subset Noto font shipped with the pictures,
# else a system Noto CJK; without one, Chinese words would be drawn as boxes.
FONT_DIRS = (
    Path(__file__).resolve().parent.parent / "content" / "pictures" / "fonts",
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/noto"),
)


@dataclass(frozen=True, slots=True)
class ChartWords:
    """The chart's words, already in the patient's language (the worker translates nothing)."""

    pain: str = PAIN_LABEL
    activity: str = ACTIVITY_LABEL
    done: str = DONE_LABEL
    not_done: str = NOT_DONE_LABEL
    scale: str = SCALE_LABEL
    routine: str = ROUTINE_LABEL
    title: str | None = None  # None: in English, from the dates
    days: tuple[str, ...] | None = None  # each day's tick label; None: English
    font: str | None = None  # a font file with the language's glyphs (Chinese)


def cjk_font() -> str | None:
    """A font file with Simplified Chinese glyphs: the one shipped, else an installed one."""
    # The pictures' Chinese subset (content/pictures.py CJK_FONT_FILES) holds the
    # chart's words too: `--subset-font` adds them (content.pictures.chart_characters).
    shipped = PICTURES_DIR / "fonts" / "AcubotNotoSansSC-Regular.otf"
    if shipped.is_file():
        return str(shipped)
    for directory in FONT_DIRS:
        if not directory.is_dir():
            continue
        candidates = sorted(
            path
            for path in directory.iterdir()
            if path.suffix.lower() in {".otf", ".ttf", ".otc", ".ttc"}
            and any(mark in path.name for mark in ("CJK", "SC", "Hans"))
        )
        if candidates:
            return str(candidates[0])
    return None


@contextmanager
def _font(path: str | None) -> Iterator[None]:
    """Text made inside uses the font at `path` first (DejaVu Sans for what it lacks)."""
    if path is None:
        yield
        return
    from matplotlib import rc_context

    name = _registered(path)
    with rc_context({"font.family": "sans-serif", "font.sans-serif": [name, "DejaVu Sans"]}):
        yield


@cache
def _registered(path: str) -> str:
    """Adds the font file to matplotlib once per process (each add grows its list)."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


def draw_progress_chart(
    data: ProgressData, today: date, words: ChartWords | None = None, length: int = DAYS
) -> Figure:
    """The chart of the last `length` local days ending `today`, as a matplotlib Figure."""
    words = words or ChartWords()
    with _font(words.font):
        return _draw(data, today, words, length)


def _draw(data: ProgressData, today: date, words: ChartWords, length: int) -> Figure:
    # Imported here: matplotlib takes half a second to import, and only
    # /progress needs it, so the bot starts without it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    first = today - timedelta(days=length - 1)
    days = [first + timedelta(days=offset) for offset in range(length)]
    # Room around everything (inches), so no label touches the picture's edge.
    layout = ConstrainedLayoutEngine(w_pad=0.3, h_pad=0.25)
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white", layout=layout)
    FigureCanvasAgg(figure)
    # The scores, the routine strip under them, and the legend in a row of its own
    # (so the layout keeps it inside the margins like everything else).
    grid = figure.add_gridspec(3, 1, height_ratios=[7, 1, 1.4])
    scores = figure.add_subplot(grid[0])
    strip = figure.add_subplot(grid[1], sharex=scores)
    key = figure.add_subplot(grid[2])
    key.axis("off")

    pain = [
        (days.index(s.local_date), s.score) for s in data.pain if first <= s.local_date <= today
    ]
    if pain:
        scores.plot(
            [x for x, _ in pain],
            [y for _, y in pain],
            color=PAIN_COLOUR,
            linewidth=3.5,
            marker="o",
            markersize=9,
            label=words.pain,
            zorder=4,
        )
    activity = [
        (days.index(s.local_date), s.score) for s in data.activity if first <= s.local_date <= today
    ]
    if activity:
        # Hollow, and larger than the pain dots: a pain dot on the same day shows inside.
        scores.scatter(
            [x for x, _ in activity],
            [y for _, y in activity],
            marker="D",
            s=260,
            facecolors="none",
            edgecolors=ACTIVITY_COLOUR,
            linewidths=3,
            label=words.activity,
            zorder=5,
        )
    scores.set_ylim(-0.7, 10.7)
    scores.set_yticks(range(0, 11, 2))
    scores.set_ylabel(words.scale, fontsize=FONT)
    scores.grid(axis="y", color="#dddddd")
    scores.tick_params(labelsize=FONT, bottom=False)
    for side in ("top", "right"):
        scores.spines[side].set_visible(False)
    title = words.title or TITLE.format(first=f"{first:%-d %b}", last=f"{today:%-d %b %Y}")
    scores.set_title(title, fontsize=22, fontweight="bold", pad=14)

    done = set(data.done_days)
    done_x = [index for index, day in enumerate(days) if day in done]
    # Days before the patient's first record are not "missed": they had not started.
    recorded = [
        *data.done_days,
        *(s.local_date for s in data.pain),
        *(s.local_date for s in data.activity),
    ]
    started = min(recorded, default=today)
    # A programme's rest day, or a day the bot could not send its reminder, is no miss
    # (as for the streak, storage/progress.py); today's routine can still come.
    plan = data.plan
    not_missed = set(data.missed_days) | {today}
    missed_x = [
        index
        for index, day in enumerate(days)
        if day not in done
        and day >= started
        and day not in not_missed
        and not (plan is not None and plan.is_rest_day(day))
    ]
    if done_x:
        strip.scatter(
            done_x, [0] * len(done_x), marker="s", s=150, color=DONE_COLOUR, label=words.done
        )
    if missed_x:
        strip.scatter(
            missed_x,
            [0] * len(missed_x),
            marker="s",
            s=150,
            facecolors="none",
            edgecolors=NOT_DONE_COLOUR,
            linewidths=1.5,
            label=words.not_done,
        )
    strip.set_ylim(-1, 1)
    strip.set_yticks([0], [words.routine], fontsize=FONT)
    strip.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        strip.spines[side].set_visible(False)
    ticks = list(range(length - 1, -1, -7))[::-1]
    day_labels = words.days or tuple(f"{day:%-d %b}" for day in days)
    strip.set_xticks(ticks, [day_labels[i] for i in ticks])
    strip.tick_params(axis="x", labelsize=FONT)
    strip.set_xlim(-0.8, length - 0.2)

    handles, labels = [], []
    for axes in (scores, strip):
        more_handles, more_labels = axes.get_legend_handles_labels()
        handles += more_handles
        labels += more_labels
    scores.tick_params(labelbottom=False)
    key.legend(
        handles,
        labels,
        loc="center",
        ncol=2,
        fontsize=FONT - 1,
        frameon=False,
        columnspacing=1.5,
    )
    return figure


def render_progress_chart(
    data: ProgressData, today: date, words: ChartWords | None = None, length: int = DAYS
) -> bytes:
    """A PNG of the last `length` (30) local days ending `today`, in the words given."""
    words = words or ChartWords()
    buffer = io.BytesIO()
    # Tick labels are made while saving: the font must still be in force then.
    with _font(words.font):
        figure = draw_progress_chart(data, today, words, length)
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def warm_up() -> None:
    """Imports matplotlib and draws once, so the first patient's chart is quick."""
    render_progress_chart(ProgressData(done_days=(), pain=(), activity=()), date(2000, 1, 1))
