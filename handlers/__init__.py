"""Telegram handlers, one module per feature.

`register_all` is the only place that decides the order. In
python-telegram-bot the first matching handler of a group wins, so specific
handlers come first and the catch-alls of `fallback` come last. The early
groups run in this order, each before the next: the chosen language (-5), the
red-flag screen (-4), the
group-chat filter (-3), a command stopping a waiting question (-2), last-seen
(-1), then every feature (0).
"""

from __future__ import annotations

from handlers.context import AcubotApp


def register_all(app: AcubotApp) -> None:
    from handlers import (
        admin,
        broadcast,
        checkins,
        clinician,
        consent,
        errors,
        fallback,
        flows,
        groups,
        language,
        meridians,
        points,
        pregnancy,
        prescribe,
        prescribe_links,
        privacy,
        programme,
        programme_end,
        programme_status,
        progress,
        questionnaire,
        reminder_buttons,
        reminder_settings,
        report,
        routine,
        safety,
        staff,
        start,
        subscribe,
        triage,
        users,
        visit_answers,
        visits,
    )

    language.register(app)  # group -5: the patient's chosen language, before anything answers
    triage.register(app)  # group -4: every text message meets the red-flag screen first
    groups.register(app)  # group -3: in groups, general content only; the rest stays private
    flows.register(app)  # group -2: a command stops a waiting question; spent buttons; /cancel
    users.register(app)  # group -1: records who is talking, never answers
    # The 8:00 rush's buttons first: each handler of a group is tried in turn, and
    # every button's prefix is its own (scheduler/callback_data.py), so order is free.
    reminder_buttons.register(app)  # buttons under a daily reminder
    checkins.register(app)  # 0-10 check-in buttons
    start.register(app)  # /start, /help, main-menu buttons
    points.register(app)  # /point, /points, point buttons
    meridians.register(app)  # /meridian, meridian buttons
    safety.register(app)  # /safety, /evidence, /book
    pregnancy.register(app)  # /pregnancy and its buttons
    subscribe.register(app)  # /remind flow and its typed answers (via handlers.flows)
    reminder_settings.register(app)  # /settings, /pause, /resume, /stop
    programme_end.register(app)  # "Keep my reminders" under a finished programme's summary
    routine.register(app)  # /routine and the guided routine's buttons and timers
    programme.register(app)  # /start <code>: starting a home programme (answers via handlers.flows)
    programme_status.register(app)  # /programme: progress, Leave, updates
    progress.register(app)  # /progress: streaks and chart
    questionnaire.register(app)  # /questionnaire, PEG and RMDQ answer buttons
    report.register(app)  # /report: the patient's visit summary (PDF)
    visits.register(app)  # /visit, by the patient or staff for a patient (via handlers.flows)
    visit_answers.register(app)  # a visit's answer buttons, /visits; staff: /today
    privacy.register(app)  # /privacy, /export, /delete
    consent.register(app)  # Share / Don't share (asked in /privacy and after a programme starts)
    # (/language is registered with group -5 above)
    admin.register(app)  # staff: /stats, /broadcasts, cancelling a broadcast
    broadcast.register(app)  # staff: /broadcast compose flow (answers via handlers.flows)
    prescribe.register(app)  # staff: /prescribe flow (answers via handlers.flows)
    prescribe_links.register(app)  # staff: /programmes, new links and edits
    clinician.register(app)  # staff: /patients, /patient <n> and its PDF buttons (consent only)
    staff.register(app)  # owners: /staff (add, remove, roles); /audit (answers via handlers.flows)
    fallback.register(app)  # last: unknown commands, flow answers, own words (handlers.own_words)
    errors.register(app)
