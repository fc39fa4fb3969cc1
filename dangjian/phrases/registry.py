"""The free-text fields that offer quick phrases (常用语), registered by the apps that own them.

A field has built-in phrases (shipped in Chinese, with the English the English UI shows and
inserts), may have variants (the service desk's 诉求内容 has one per service), and may say how to
find the signed-in worker's own recent texts in it (read from the records they wrote: nothing
is stored twice)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

# A worker's own text is offered again only when it is a phrase, not a case's account: short,
# written on at least two records, and without a number (a mobile, a house or a sum of money).
RECENT_MAX_LENGTH = 60
RECENT_MIN_USES = 2
RECENT_SHOWN = 5
MAX_PHRASES = 30
MAX_PHRASE_LENGTH = 100


@dataclass(frozen=True)
class Variant:
    code: str
    label: str
    defaults: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhraseField:
    key: str
    label: Any  # a lazy translation
    defaults: tuple[str, ...] = ()
    # actor → (variant, text) of the worker's own texts in this field, newest first.
    recent: Callable[..., list[tuple[str, str]]] | None = None
    variants: Callable[[], list[Variant]] | None = None
    english: Mapping[str, str] = field(default_factory=dict)

    def built_in(self, variant: str = "") -> tuple[str, ...]:
        if variant and self.variants is not None:
            for v in self.variants():
                if v.code == variant:
                    return v.defaults
            return ()
        return self.defaults

    def shown(self, phrase: str) -> str:
        """A built-in phrase as the current language shows (and inserts) it."""
        if (get_language() or "").startswith("en"):
            return self.english.get(phrase, phrase)
        return phrase


_FIELDS: dict[str, PhraseField] = {}


def register_phrase_field(phrase_field: PhraseField) -> PhraseField:
    _FIELDS[phrase_field.key] = phrase_field
    return phrase_field


def phrase_fields() -> list[PhraseField]:
    return list(_FIELDS.values())


def phrase_field(key: str) -> PhraseField | None:
    return _FIELDS.get(key)
