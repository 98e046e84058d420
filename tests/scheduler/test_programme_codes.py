"""Programme link codes: round trips, every refusal, and forgeries that never pass."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.programme_codes import (
    CODE_LENGTH,
    MAX_LINK_ID,
    MAX_START_PARAMETER,
    BadLinkCode,
    LinkCode,
    describe,
    link_for,
    sign,
    verify,
)

SECRET = b"k" * 32 + b"-a-test-secret-not-a-real-one"
OTHER_SECRET = b"o" * 32
NOW = datetime(2025, 3, 7, 15, 30, tzinfo=UTC)
IN_TWO_WEEKS = NOW + timedelta(days=14)
# What Telegram accepts as the parameter of /start.
TELEGRAM_START = re.compile(r"[A-Za-z0-9_-]{1,64}")

link_ids = st.integers(min_value=0, max_value=MAX_LINK_ID)
expiries = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
codes = st.builds(LinkCode, link_id=link_ids, expires_at=expiries, single_use=st.booleans())
secrets = st.binary(min_size=32, max_size=64)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def reason(text: str, secret: bytes = SECRET, now: datetime = NOW) -> str:
    with pytest.raises(BadLinkCode) as refused:
        verify(text, secret, now)
    return refused.value.reason


def test_round_trip() -> None:
    code = LinkCode(link_id=42, expires_at=IN_TWO_WEEKS, single_use=True)
    text = sign(code, SECRET)
    assert text.startswith("p") and len(text) == CODE_LENGTH == 37
    assert verify(text, SECRET, NOW) == code
    reusable = LinkCode(link_id=42, expires_at=IN_TWO_WEEKS, single_use=False)
    assert sign(reusable, SECRET) != text
    assert verify(sign(reusable, SECRET), SECRET, NOW) == reusable


def test_expiry_in_any_zone_is_the_same_instant_and_rounds_down_to_the_second() -> None:
    chicago = datetime(2025, 3, 21, 9, 0, 0, 999_999, tzinfo=ZoneInfo("America/Chicago"))
    read = verify(sign(LinkCode(7, chicago, False), SECRET), SECRET, NOW)
    assert read.expires_at == chicago.replace(microsecond=0)
    assert read.expires_at.tzinfo is UTC


def test_expiry_boundary_is_exact() -> None:
    text = sign(LinkCode(link_id=5, expires_at=IN_TWO_WEEKS, single_use=False), SECRET)
    just_before = IN_TWO_WEEKS - timedelta(microseconds=1)
    assert verify(text, SECRET, just_before).link_id == 5
    assert reason(text, now=IN_TWO_WEEKS) == "expired"
    assert reason(text, now=IN_TWO_WEEKS + timedelta(days=400)) == "expired"
    # The same instant seen from another zone.
    assert reason(text, now=IN_TWO_WEEKS.astimezone(ZoneInfo("Asia/Shanghai"))) == "expired"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "p",
        "hello",
        "p" + "A" * 36 + "A",  # one character too many
        "p" + "A" * 35,  # one too few
        "q" + "A" * 36,  # another prefix
        "p" + "A" * 35 + "=",  # padding is not in Telegram's alphabet
        "p" + "A" * 35 + "+",  # standard base64, not base64url
        "p" + "A" * 35 + " ",
        "p" + "A" * 35 + "é",
        "p" + "A" * 35 + "٣",  # a digit to Python, not to Telegram
        "p" * 10_000,  # overlong: refused before any decoding
        "/start p" + "A" * 28,
    ],
)
def test_malformed(text: str) -> None:
    assert reason(text) == "malformed"


def test_unknown_version_is_malformed() -> None:
    raw = bytearray(base64.urlsafe_b64decode(sign(LinkCode(1, IN_TWO_WEEKS, False), SECRET)[1:]))
    raw[0] = 2
    text = "p" + base64.urlsafe_b64encode(bytes(raw)).decode()
    assert reason(text) == "malformed"


def test_forged_and_tampered() -> None:
    text = sign(LinkCode(link_id=9, expires_at=IN_TWO_WEEKS, single_use=True), SECRET)
    assert reason(text, secret=OTHER_SECRET) == "forged"
    # Made reusable by flipping the flag: the tag no longer matches.
    raw = bytearray(base64.urlsafe_b64decode(text[1:]))
    raw[1] = 0
    assert reason("p" + base64.urlsafe_b64encode(bytes(raw)).decode()) == "forged"
    # A later expiry, same tag.
    raw = bytearray(base64.urlsafe_b64decode(text[1:]))
    raw[10] ^= 0xFF
    assert reason("p" + base64.urlsafe_b64encode(bytes(raw)).decode()) == "forged"


def test_refusal_carries_the_claimed_link_id_but_not_the_code() -> None:
    text = sign(LinkCode(link_id=77, expires_at=IN_TWO_WEEKS, single_use=False), SECRET)
    with pytest.raises(BadLinkCode) as refused:
        verify(text, OTHER_SECRET, NOW)
    assert refused.value.link_id == 77
    assert text not in str(refused.value) and text[-10:] not in str(refused.value)
    with pytest.raises(BadLinkCode) as unreadable:
        verify("nonsense", SECRET, NOW)
    assert unreadable.value.link_id is None


def test_describe_names_the_link_never_the_tag() -> None:
    text = sign(LinkCode(link_id=31337, expires_at=IN_TWO_WEEKS, single_use=False), SECRET)
    assert describe(text) == "a code for link 31337"
    assert text[8:] not in describe(text)
    assert describe("x" * 5000) == "an unreadable code of 5000 characters"


def test_link_for() -> None:
    text = sign(LinkCode(link_id=3, expires_at=IN_TWO_WEEKS, single_use=False), SECRET)
    assert link_for("acubot_clinic_bot", text) == f"https://t.me/acubot_clinic_bot?start={text}"
    assert link_for("@acubot_clinic_bot", text).startswith("https://t.me/acubot_clinic_bot?")
    with pytest.raises(ValueError):
        link_for("not a bot", text)
    with pytest.raises(ValueError):
        link_for("acubot_clinic_bot", "x" * 65)
    with pytest.raises(ValueError):
        link_for("acubot_clinic_bot", "a=b")


def test_programming_errors_are_not_bad_codes() -> None:
    code = LinkCode(link_id=1, expires_at=IN_TWO_WEEKS, single_use=False)
    with pytest.raises(ValueError, match="32 bytes"):
        sign(code, b"short")
    with pytest.raises(ValueError, match="aware"):
        verify(sign(code, SECRET), SECRET, datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        LinkCode(link_id=1, expires_at=datetime(2025, 1, 1), single_use=False)
    with pytest.raises(ValueError, match="link id"):
        LinkCode(link_id=MAX_LINK_ID + 1, expires_at=IN_TWO_WEEKS, single_use=False)
    with pytest.raises(ValueError, match="link id"):
        LinkCode(link_id=-1, expires_at=IN_TWO_WEEKS, single_use=False)
    with pytest.raises(ValueError, match="1970"):
        sign(LinkCode(1, datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), False), SECRET)


@given(codes, secrets)
def test_every_code_round_trips_within_telegrams_limit(code: LinkCode, secret: bytes) -> None:
    text = sign(code, secret)
    assert TELEGRAM_START.fullmatch(text) and len(text) <= MAX_START_PARAMETER
    before = code.expires_at - timedelta(seconds=1)
    assert verify(text, secret, before) == code


@given(st.text(max_size=80))
def test_random_text_never_verifies(text: str) -> None:
    with pytest.raises(BadLinkCode):
        verify(text, SECRET, NOW)


@given(st.text(alphabet=ALPHABET, min_size=CODE_LENGTH - 1, max_size=CODE_LENGTH - 1))
def test_random_codes_of_the_right_shape_never_verify(body: str) -> None:
    with pytest.raises(BadLinkCode) as refused:
        verify("p" + body, SECRET, NOW)
    assert refused.value.reason in {"malformed", "forged"}


@given(codes, st.integers(min_value=0, max_value=CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_changing_any_character_never_verifies(code: LinkCode, where: int, char: str) -> None:
    text = sign(code, SECRET)
    if text[where] == char:
        char = ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)]
    tampered = text[:where] + char + text[where + 1 :]
    with pytest.raises(BadLinkCode) as refused:
        verify(tampered, SECRET, datetime(1970, 1, 1, tzinfo=UTC))
    assert refused.value.reason in {"malformed", "forged"}


@given(codes, st.data())
def test_flipping_any_bit_never_verifies(code: LinkCode, data: st.DataObject) -> None:
    raw = bytearray(base64.urlsafe_b64decode(sign(code, SECRET)[1:]))
    where = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[where] ^= data.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(BadLinkCode) as refused:
        verify("p" + base64.urlsafe_b64encode(bytes(raw)).decode(), SECRET, NOW)
    assert refused.value.reason in {"malformed", "forged"}


@given(codes, secrets, secrets)
def test_a_code_signed_with_another_secret_never_verifies(
    code: LinkCode, mine: bytes, theirs: bytes
) -> None:
    if mine == theirs:
        theirs = bytes([theirs[0] ^ 1]) + theirs[1:]
    with pytest.raises(BadLinkCode) as refused:
        verify(sign(code, theirs), mine, datetime(1970, 1, 1, tzinfo=UTC))
    assert refused.value.reason == "forged"
