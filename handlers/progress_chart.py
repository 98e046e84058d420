"""The /progress chart for a patient: drawn in the worker process, never on the loop.

The drawing is scheduler/progress_chart.py (data in, PNG out); this is only
where the bot hands it to its worker process (handlers/offload.py).
"""

from __future__ import annotations

from datetime import date

from handlers.context import Services
from scheduler.progress_chart import render_progress_chart
from storage.progress import ProgressData


async def progress_chart_png(services: Services, data: ProgressData, today: date) -> bytes:
    """The chart of the 30 local days ending `today`, drawn off the event loop."""
    return await services.cpu.run(render_progress_chart, data, today)
