"""Checks that text meant for a Spanish or Chinese reader has no English sentence in it.

English words that Spanish never uses on its own ("the", "your", "with") are
the tell; codes (<code>…</code>), links, point codes and names, and the
clinic's own words are allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Function words of English that are not Spanish words; one is enough to call a
# sentence English ("a", "no", "me", "he" are Spanish too, so they are not here).
ENGLISH_ONLY = frozenset(
    [
        "the",
        "you",
        "your",
        "and",
        "with",
        "this",
        "that",
        "for",
        "is",
        "are",
        "to",
        "of",
        "will",
        "can",
        "when",
        "what",
        "how",
        "please",
        "it",
        "they",
        "them",
        "have",
        "has",
        "was",
        "were",
        "be",
        "been",
        "from",
        "about",
        "here",
        "there",
        "which",
        "would",
        "should",
        "could",
        "our",
        "we",
        "us",
        "my",
        "i'm",
        "don't",
        "can't",
        "won't",
        "it's",
        "you're",
        "isn't",
    ]
)
_TAGS = re.compile(r"<code>.*?</code>|<pre>.*?</pre>|<[^>]+>", re.S)
_LINKS = re.compile(r"https?://\S+|t\.me/\S+|/[a-z_]+(?:@\w+)?")
_WORDS = re.compile(r"[A-Za-z][A-Za-z']*")
CJK = re.compile(r"[\u4e00-\u9fff]")


def english_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The English-only words in `text`, after removing codes, links and allowed phrases."""
    for phrase in sorted(allowed, key=len, reverse=True):
        text = text.replace(phrase, " ")
    text = _LINKS.sub(" ", _TAGS.sub(" ", text))
    return [word for word in _WORDS.findall(text) if word.lower() in ENGLISH_ONLY]


def assert_in_language(
    text: str, language: str, allowed: Iterable[str] = (), *, words_needed: bool = True
) -> None:
    """Fails, quoting the text, if it carries English or (for Chinese) no Chinese at all.

    `words_needed=False` for labels that may be only a time, a number or a code.
    """
    found = english_words(text, allowed)
    assert not found, f"English words {found} in {language} text:\n{text}"
    if language == "zh" and words_needed:
        assert CJK.search(text), f"no Chinese characters in zh text:\n{text}"
