"""The normalised text a case is searched by: hiragana and katakana, full and half width,
spaces, all fold together."""

from __future__ import annotations

import unicodedata
from typing import Protocol

import jaconv


def normalise_for_search(text: str) -> str:
    """Hiragana and katakana match each other; full/half width and spaces don't matter."""
    text = unicodedata.normalize("NFKC", text or "")
    return jaconv.kata2hira(text).lower().replace(" ", "").replace("\u3000", "")


class NamedPerson(Protocol):
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str


def name_search_text(person: NamedPerson) -> str:
    """What a case, or a family member, is found by: name and furigana, normalised."""
    return normalise_for_search(
        " ".join(
            [person.family_name, person.given_name, person.family_name_kana, person.given_name_kana]
        )
    )
