"""Numbers that are not ASCII digits get a clear answer, end to end, and change nothing.

`str.isdigit()` is true for "²" (and `int("²")` raises) and for "٣" and the
mathematical bold seven (which `int()` reads as 3 and 7): typed text and forged button data with them
used to crash handlers or be read as numbers.
"""

from __future__ import annotations

import pytest

from bot.local_api import InProcessBotAPI
from tests.conftest import ADMIN_ID
from tests.harness import Patient, only_text
from tests.reminders_support import subscribe, subscription_of

DIGITS = ["²", "٣", "𝟕", "①", "३"]


@pytest.mark.parametrize("digit", DIGITS)
async def test_pause_with_a_unicode_digit_is_refused_politely(
    app, patient: Patient, handler_errors, digit: str
) -> None:  # type: ignore[no-untyped-def]
    await subscribe(app, patient.user_id)
    for text in (f"/pause {digit}", f"/pause 1{digit}", f"/pause {digit}0"):
        reply = only_text(await patient.send(text))
        assert "Please give a number of days from 1 to 90" in reply
        assert "Nothing was changed" in reply
    assert (await subscription_of(app, patient.user_id)).paused_until is None
    assert "paused for 3 days" in only_text(await patient.send("/pause 3"))
    assert handler_errors == []


@pytest.mark.parametrize("digit", DIGITS)
async def test_forged_patient_buttons_with_unicode_digits_get_an_answer(
    app, patient: Patient, handler_errors, digit: str
) -> None:  # type: ignore[no-untyped-def]
    await patient.send("/start")
    await subscribe(app, patient.user_id)
    expected = {
        f"rem:done:{digit}": "This reminder is no longer available.",
        f"chk:pain:20261201:{digit}": "This question is no longer available.",
        f"chk:pain:2026120{digit}:5": "This question is no longer available.",
        f"rtn:clinic:{digit}:show": "This routine button is no longer in use.",
    }
    for data, answer in expected.items():
        calls = await patient.press_data(data)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
        assert calls[0].params["text"].startswith(answer), data
        assert calls[0].params.get("show_alert") is True
    # A preset-time button of the /remind flow, forged while the flow waits.
    await patient.send("/remind")
    calls = await patient.press_data(f"sub:t:07{digit}0")
    assert calls[0].method == "answerCallbackQuery"
    assert "That button no longer applies. Send /remind" in only_text(calls)
    sub = await subscription_of(app, patient.user_id)
    assert sub.active is True and f"{sub.local_time:%H:%M}" == "08:00"
    assert handler_errors == []


@pytest.mark.parametrize("digit", DIGITS)
async def test_forged_broadcast_cancel_with_a_unicode_digit_is_refused(
    app, api: InProcessBotAPI, handler_errors, digit: str
) -> None:  # type: ignore[no-untyped-def]
    admin = Patient(app, api, user_id=ADMIN_ID)
    await admin.send("/start")
    calls = await admin.press_data(f"bc:cancel:{digit}")
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert calls[0].params["text"] == "That broadcast is unknown."
    assert handler_errors == []
