"""What a free-text field offers as quick phrases: the nearest region's list (or the built-in
phrases) and the worker's own recent texts, and the lists an admin may edit."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from dangjian.core.access import CONFIGURE, VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.core.models import PATH_STEP
from dangjian.orgs.models import Organization, Region
from dangjian.phrases.models import PhraseList
from dangjian.phrases.registry import (
    RECENT_MAX_LENGTH,
    RECENT_MIN_USES,
    RECENT_SHOWN,
    PhraseField,
    phrase_field,
    phrase_fields,
)


@dataclass
class Offer:
    """The phrases offered under one field: ``common`` from the list in force, ``recent`` the
    worker's own short texts of late that are not already common."""

    common: list[str] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)
    prefix: bool = False  # a phrase starts the field's text (an estate before the house number)
    label: str = ""  # what the phrases are, when not "common phrases"

    def __bool__(self) -> bool:
        return bool(self.common or self.recent)

    def as_dict(self) -> dict[str, list[str]]:
        return {"common": self.common, "recent": self.recent}


def _context_paths(actor: Actor, region: Region | None) -> list[str]:
    """Where the worker works: the given region, else the regions of their grants (an
    organisation's region for a grant at an organisation) and their own home."""
    if region is not None:
        return [region.path]
    nodes = actor.scope.nodes(VIEW)
    paths = list(nodes.region_paths)
    if nodes.org_paths:
        paths += Organization.objects.filter(path__in=nodes.org_paths).values_list("region__path", flat=True)
    if home := actor.scope.self_paths.get("home"):
        paths.append(home)
    return paths


def _ancestor_paths(paths: list[str]) -> set[str]:
    return {p[:end] for p in paths for end in range(PATH_STEP, len(p) + 1, PATH_STEP)}


def _nearest(rows: Any) -> dict[tuple[str, str], PhraseList]:
    """Per (key, variant), the list of the deepest region among ``rows`` (each with its region)."""
    best: dict[tuple[str, str], PhraseList] = {}
    for row in rows:
        current = best.get((row.key, row.variant))
        if current is None or len(row.region.path) > len(current.region.path):
            best[(row.key, row.variant)] = row
    return best


def _lists_in_force(key: str, paths: list[str]) -> dict[str, PhraseList]:
    """Per variant, the list of the nearest region above (or at) any of ``paths``."""
    if not paths:
        return {}
    rows = PhraseList.objects.filter(key=key, region__path__in=_ancestor_paths(paths)).select_related("region")
    return {variant: row for (_key, variant), row in _nearest(rows.order_by("pk")).items()}


def _common(
    phrase: PhraseField, lists: dict[str, PhraseList], variant: str, built_in: tuple[str, ...] | None = None
) -> list[str]:
    """The list in force, else the built-in phrases (``built_in`` when the caller has the variant's
    at hand: looking them up asks for the variants again)."""
    if variant in lists:
        return list(lists[variant].phrases)
    return [phrase.shown(text) for text in (phrase.built_in(variant) if built_in is None else built_in)]


NUMBER = re.compile(r"\d{3,}|[零一二三四五六七八九十百千万]{3,}")


def _recent(phrase: PhraseField, actor: Actor) -> list[tuple[str, str]]:
    """(variant, text) of the worker's own phrases, newest first, each once: texts they wrote on
    at least RECENT_MIN_USES records, short and without a number. A case's own account (a name,
    a mobile, a house number, a hardship) is written once and never offered under another record,
    where someone else might read it."""
    if phrase.recent is None or actor.user_id is None:
        return []
    uses: dict[tuple[str, str], int] = {}
    for variant, text in phrase.recent(actor):
        text = " ".join(str(text or "").split())
        if text and len(text) <= RECENT_MAX_LENGTH and not NUMBER.search(text):
            uses[(variant, text)] = uses.get((variant, text), 0) + 1
    return [key for key, n in uses.items() if n >= RECENT_MIN_USES]  # dicts keep the newest first


def _offer(common: list[str], recent: list[tuple[str, str]], variant: str) -> Offer:
    mine = [text for v, text in recent if v == variant and text not in common]
    return Offer(common=common, recent=mine[:RECENT_SHOWN])


def phrases_for(*, actor: Actor, key: str, region: Region | None = None, variant: str = "") -> Offer:
    """The phrases offered under ``key`` to ``actor`` (working in ``region`` if given)."""
    phrase = phrase_field(key)
    if phrase is None:
        return Offer()
    lists = _lists_in_force(key, _context_paths(actor, region))
    return _offer(_common(phrase, lists, variant), _recent(phrase, actor), variant)


def attach(form: Any, name: str, offer: Offer) -> None:
    """Show ``offer`` under ``form``'s field ``name`` (includes/field.html draws it)."""
    if name in form.fields:
        setattr(form.fields[name], "phrases", offer)  # noqa: B010 - a Field has no such attribute of its own


def offer_under(form: Any, name: str, *, actor: Actor, key: str, region: Region | None = None) -> None:
    """Offer ``key``'s phrases under ``form``'s field ``name``."""
    attach(form, name, phrases_for(actor=actor, key=key, region=region))


def phrase_menu(*, actor: Actor, key: str, region: Region | None = None) -> dict[str, dict[str, list[str]]]:
    """For a field with variants: {variant code: offer as a dict}, every variant at once (the page
    switches between them as the worker picks, e.g. the service)."""
    phrase = phrase_field(key)
    if phrase is None or phrase.variants is None:
        return {}
    lists = _lists_in_force(key, _context_paths(actor, region))
    recent = _recent(phrase, actor)
    return {
        v.code: _offer(_common(phrase, lists, v.code, v.defaults), recent, v.code).as_dict() for v in phrase.variants()
    }


# Lists belong to the top two levels of the region tree (区, 街道: DESIGN.md's 区 → 街道 → 社区 → 网格;
# a node's depth is its path's length in steps, the root's 1).
LIST_DEPTH = 2


def may_edit(*, actor: Actor) -> bool:
    """Whether ``actor`` may edit some phrase list (the menu's link): a configure right at a
    district or street (or a superuser). Read from the scope, without a query: the menu asks on
    every page."""
    scope = actor.scope
    return scope.superuser or any(len(path) <= LIST_DEPTH * PATH_STEP for path in scope.nodes(CONFIGURE).region_paths)


def editable_regions(*, actor: Actor) -> QuerySet[Region]:
    """The districts and streets whose phrase lists ``actor`` may edit (configure right)."""
    return restrict(Region.objects.filter(depth__lte=LIST_DEPTH, closed_on=None), actor, CONFIGURE).order_by("path")


@dataclass
class ListRow:
    phrase: PhraseField
    variant: str
    label: str
    phrases: list[str]
    own: PhraseList | None
    inherited_from: Region | None  # None and no own list: the built-in phrases
    text: str = ""  # what the form shows: the phrases one per line, or what a refused save sent
    failed: bool = False

    def __post_init__(self) -> None:
        self.text = self.text or "\n".join(self.phrases)

    @property
    def anchor(self) -> str:
        """The id of the row on the page (where saving it returns to)."""
        return list_anchor(self.phrase.key, self.variant)


def list_anchor(key: str, variant: str) -> str:
    return f"list-{key}-{variant}".replace(".", "-")


def region_lists(*, actor: Actor, region: Region) -> list[ListRow]:
    """Every field's (and variant's) list in force at ``region``, and whether it is the region's
    own, a region's above it or the built-in one. ``region`` must come from editable_regions."""
    rows: list[ListRow] = []
    stored = PhraseList.objects.filter(region__path__in=_ancestor_paths([region.path])).select_related("region")
    by_key: dict[str, dict[str, PhraseList]] = {}
    for (key, variant), row in _nearest(stored.order_by("pk")).items():
        by_key.setdefault(key, {})[variant] = row
    for phrase in phrase_fields():
        lists = by_key.get(phrase.key, {})
        variants: list[Any] = phrase.variants() if phrase.variants else [None]
        for v in variants:
            code = v.code if v else ""
            found = lists.get(code)
            rows.append(
                ListRow(
                    phrase=phrase,
                    variant=code,
                    label=v.label if v else "",
                    phrases=_common(phrase, lists, code, v.defaults if v else phrase.defaults),
                    own=found if found and found.region_id == region.pk else None,
                    inherited_from=found.region if found and found.region_id != region.pk else None,
                )
            )
    return rows
