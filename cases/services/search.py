"""The normalised text a case is searched by: hiragana and katakana, full and half width,
spaces, all fold together."""

from __future__ import annotations

import unicodedata

import jaconv

from cases.models import Case


def normalise_for_search(text: str) -> str:
    """Hiragana and katakana match each other; full/half width and spaces don't matter."""
    text = unicodedata.normalize("NFKC", text or "")
    return jaconv.kata2hira(text).lower().replace(" ", "").replace("\u3000", "")


def case_search_text(case: Case) -> str:
    return normalise_for_search(
        " ".join([case.family_name, case.given_name, case.family_name_kana, case.given_name_kana])
    )
