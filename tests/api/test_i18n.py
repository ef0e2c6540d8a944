"""Translations and language negotiation."""

from __future__ import annotations

from api.i18n import LANGUAGES, MESSAGES, negotiate, translator


def test_every_message_has_both_languages() -> None:
    for key, entry in MESSAGES.items():
        for lang in LANGUAGES:
            assert entry.get(lang), f"{key} lacks {lang}"


def test_negotiate() -> None:
    assert negotiate("JA", "en") == "ja"
    assert negotiate("de", "en-GB,ja;q=0.2") == "en"
    assert negotiate(None, "ja;q=0,en;q=0.1") == "en"
    assert negotiate(None, "de") == "en"


def test_translator_fields() -> None:
    assert translator("ja")("route_result", length=1, minutes=2, steps=3, under=4).startswith("1 m")
    assert translator("en")("missing-key") == "missing-key"
