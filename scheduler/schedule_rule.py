"""When a daily reminder fires: pure wall-clock → UTC rules, no I/O and no state.

A reminder is stored as a local wall time plus an IANA zone. Every firing is
recomputed from those two values and "now", so a patient who changes zone only
needs the caller to recompute with the new zone (`after=now`).

Rules (architecture doc):
* A wall time that does not exist on a date (spring-forward gap) fires at the
  first valid instant after the gap, i.e. the moment of the transition.
* A wall time that occurs twice (fall-back fold) fires once, at its first
  occurrence (fold=0).
* Exactly one firing per local calendar day that exists; a calendar day the
  zone skipped entirely (Pacific/Apia 2011-12-30) has none. A gap can end exactly
  at midnight (America/Nuuk springs forward 23:00 -> 00:00), so the firing that
  belongs to a date may read 00:00 on the next date; that date then has two
  firings on its wall clock, but every date still gets exactly one of its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = [
    "ALL_WEEKDAYS",
    "Firing",
    "NoOccurrenceError",
    "local_date_of",
    "next_fire_at",
    "next_planned_fire",
    "occurrence_on",
]

ALL_WEEKDAYS = 0b111_1111  # Monday = bit 0 ... Sunday = bit 6

_UTC = datetime.UTC
_ONE_SECOND = datetime.timedelta(seconds=1)
_ONE_DAY = datetime.timedelta(days=1)

# Dates tried relative to the local date of `after`. The day before is cheap
# insurance against folds that cross midnight (the local date can step back, e.g.
# America/St_Johns 00:01 -> 23:01) and gap firings that land on the next date;
# two days ahead covers a skipped calendar day and "today's occurrence already
# happened before a fold moved the clock back to yesterday".
_DAY_OFFSETS = range(-1, 4)


class NoOccurrenceError(ValueError):
    """The zone has no firing on that local date because the whole day was skipped."""


def _require_aware(value: datetime.datetime, name: str) -> None:
    # Same definition of "aware" as the datetime module itself.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def _wall(instant: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """Naive local wall-clock reading of an aware instant in zone."""
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _end_of_gap(wall: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """First instant (UTC) whose wall reading is later than the non-existent `wall`.

    That is exactly the transition that created the gap. Transitions in tzdata are
    whole seconds, so a bisection over whole seconds finds it exactly.
    """
    # For a time in a gap, PEP 495 maps fold=0 with the pre-transition offset and
    # fold=1 with the post-transition one; the transition lies between the two.
    a = wall.replace(tzinfo=zone, fold=0).astimezone(_UTC)
    b = wall.replace(tzinfo=zone, fold=1).astimezone(_UTC)
    lo = min(a, b).replace(microsecond=0)
    hi = max(a, b).replace(microsecond=0) + _ONE_SECOND
    # Defensive widening: should never loop for real tzdata, but keeps the
    # invariant wall(lo) < wall < wall(hi) true for any odd transition history.
    for _ in range(7):
        if _wall(lo, zone) < wall:
            break
        lo -= _ONE_DAY
    for _ in range(7):
        if _wall(hi, zone) > wall:
            break
        hi += _ONE_DAY
    while hi - lo > _ONE_SECOND:
        mid = lo + datetime.timedelta(seconds=(hi - lo) // _ONE_SECOND // 2)
        if _wall(mid, zone) > wall:
            hi = mid
        else:
            lo = mid
    return hi


def local_date_of(instant: datetime.datetime, zone: ZoneInfo) -> datetime.date:
    """The local calendar date of an aware instant in zone."""
    _require_aware(instant, "instant")
    return instant.astimezone(zone).date()


def occurrence_on(
    local_date: datetime.date, local_time: datetime.time, zone: ZoneInfo
) -> datetime.datetime:
    """The UTC instant of the reminder for that local date (gap/fold rules applied).

    The gap rule can give an instant on the next local date (a gap that runs up to
    or across midnight). Raises NoOccurrenceError if the zone skipped the whole date.
    """
    if local_time.tzinfo is not None:
        raise ValueError(f"local_time must be a naive wall-clock time, got {local_time!r}")
    wall = datetime.datetime.combine(local_date, local_time.replace(fold=0))
    # fold=0 is the first occurrence of a repeated wall time, which is the rule.
    first = wall.replace(tzinfo=zone, fold=0).astimezone(_UTC)
    # Round-trip to detect a gap: a non-existent wall time comes back different.
    if _wall(first, zone) == wall:
        return first
    end = _end_of_gap(wall, zone)
    # Wall reading the clock jumped from (transitions fall on whole seconds).
    gap_start = _wall(end - _ONE_SECOND, zone) + _ONE_SECOND
    day_start = datetime.datetime.combine(local_date, datetime.time())
    # Only a date the clock never showed at all has no firing. A gap that merely
    # ends at or after midnight (Nuuk 23:00 -> 00:00) still owes that day its firing.
    if gap_start <= day_start and day_start + _ONE_DAY <= _wall(end, zone):
        raise NoOccurrenceError(f"{zone} skipped the whole of {local_date}")
    return end


def next_fire_at(
    local_time: datetime.time, zone: ZoneInfo, after: datetime.datetime
) -> datetime.datetime:
    """The first instant strictly after `after` (aware) at which a daily reminder set for
    `local_time` in `zone` fires; returned in UTC."""
    _require_aware(after, "after")
    # Compare in UTC: aware datetimes sharing a tzinfo compare by wall time, which
    # is wrong inside a fold.
    after_utc = after.astimezone(_UTC)
    start = local_date_of(after_utc, zone)
    # Occurrences are increasing in date order, so the first one past `after` is the answer.
    for offset in _DAY_OFFSETS:
        try:
            candidate = occurrence_on(start + offset * _ONE_DAY, local_time, zone)
        except NoOccurrenceError:
            continue
        if candidate > after_utc:
            return candidate
    # Unreachable for real tzdata: no zone skips more than one calendar day.
    raise RuntimeError(f"no firing of {local_time} in {zone} found near {after!r}")


@dataclass(frozen=True, slots=True)
class Firing:
    """One planned reminder: when (UTC), the local date it belongs to, and which time of day."""

    at: datetime.datetime
    local_date: datetime.date
    slot: int  # 0: the day's first time, 1: its second


# A weekly schedule with one chosen weekday needs up to 7 days, and 14 when a
# zone skipped that very date (Apia's Friday 2011-12-30); two days before cover
# folds across midnight and let coincident firings be spaced from a clean start.
_PLANNED_OFFSETS = range(-2, 17)


def _check_plan(times: Sequence[datetime.time], weekdays: int) -> list[datetime.time]:
    if not 1 <= len(times) <= 2:
        raise ValueError(f"one or two times a day, got {len(times)}")
    if any(t.tzinfo is not None for t in times):
        raise ValueError("times must be naive wall-clock times")
    ordered = sorted(t.replace(fold=0) for t in times)
    if len(set(ordered)) != len(ordered):
        raise ValueError("the two times of a day must differ")
    if not 0 < weekdays <= ALL_WEEKDAYS:
        raise ValueError(f"weekdays must be a non-empty mask of 7 bits, got {weekdays}")
    return ordered


def next_planned_fire(
    times: Sequence[datetime.time],
    weekdays: int,
    zone: ZoneInfo,
    after: datetime.datetime,
) -> Firing:
    """The first firing strictly after `after` of reminders at `times` (one or two naive
    wall times; slot = index in sorted order) on the local dates whose weekday is in
    `weekdays` (Monday = bit 0; 127 = every day), in `zone`.

    Each time fires once per chosen date, with `occurrence_on`'s gap and fold rules;
    firings that would coincide are spaced one second apart (see the module's doc).
    With every weekday and one time this is `next_fire_at`.
    """
    _require_aware(after, "after")
    ordered = _check_plan(times, weekdays)
    after_utc = after.astimezone(_UTC)
    start = local_date_of(after_utc, zone)
    previous: datetime.datetime | None = None
    for offset in _PLANNED_OFFSETS:
        day = start + offset * _ONE_DAY
        if not weekdays & (1 << day.weekday()):
            continue
        for slot, local_time in enumerate(ordered):
            try:
                at = occurrence_on(day, local_time, zone)
            except NoOccurrenceError:
                break  # the zone skipped the whole date: none of its times fire
            # Occurrences never decrease in (date, time) order; only ties need spacing.
            if previous is not None and at <= previous:
                at = previous + _ONE_SECOND
            previous = at
            if at > after_utc:
                return Firing(at, day, slot)
    # Unreachable for real tzdata: no zone skips more than one calendar day.
    raise RuntimeError(f"no firing of {ordered} on weekdays {weekdays:#09b} near {after!r}")
