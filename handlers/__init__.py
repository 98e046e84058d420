"""Telegram handlers, one module per feature.

`register_all` is the only place that decides the order. In
python-telegram-bot the first matching handler of a group wins, so specific
handlers come first and the catch-alls of `fallback` come last.
"""

from __future__ import annotations

from bot.context import AcubotApp


def register_all(app: AcubotApp) -> None:
    from handlers import errors, fallback, meridians, points, safety, start, users

    users.register(app)  # group -1: records who is talking, never answers
    start.register(app)  # /start, /help, main-menu buttons
    points.register(app)  # /point, /points, point buttons
    meridians.register(app)  # /meridian, meridian buttons
    safety.register(app)  # /safety, /book
    fallback.register(app)  # last: unknown commands, free text, stale buttons
    errors.register(app)
