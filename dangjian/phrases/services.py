"""Writes of the quick-phrase lists: a district or street admin sets their region's own list."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core.access import CONFIGURE, allowed
from dangjian.core.actors import Actor
from dangjian.core.events import record_event
from dangjian.core.models import EventAction
from dangjian.orgs.models import Region
from dangjian.phrases.models import PhraseList
from dangjian.phrases.registry import MAX_PHRASE_LENGTH, MAX_PHRASES, phrase_field


def parse_phrases(text: str) -> list[str]:
    """One phrase per line: blank lines dropped, spaces tidied, each phrase once, in order."""
    found: list[str] = []
    for line in str(text or "").splitlines():
        phrase = " ".join(line.split())
        if phrase and phrase not in found:
            found.append(phrase)
    return found


def phrase_list_save(*, actor: Actor, region: Region, key: str, variant: str, text: str) -> PhraseList | None:
    """Set ``region``'s own list for ``key``/``variant`` from ``text`` (one phrase per line). An
    empty text removes the region's own list: the list above it (or the built-in one) applies
    again. Returns the list kept, or None when removed."""
    phrase = phrase_field(key)
    variants = {v.code for v in phrase.variants()} if phrase is not None and phrase.variants else {""}
    if phrase is None or variant not in variants:  # a field with variants has no list of its own
        raise ValidationError({"key": [_("There is no such field.")]})
    if not allowed(actor, CONFIGURE, region):
        raise PermissionDenied
    phrases = parse_phrases(text)
    if len(phrases) > MAX_PHRASES:
        raise ValidationError({"text": [_("At most %(n)d phrases per list.") % {"n": MAX_PHRASES}]})
    too_long = [p for p in phrases if len(p) > MAX_PHRASE_LENGTH]
    if too_long:
        raise ValidationError(
            {
                "text": [
                    _("A phrase may have at most %(n)d characters: “%(phrase)s…” is longer.")
                    % {"n": MAX_PHRASE_LENGTH, "phrase": too_long[0][:20]}
                ]
            }
        )
    with transaction.atomic():
        own = PhraseList.objects.select_for_update().filter(region=region, key=key, variant=variant).first()
        old = list(own.phrases) if own else None
        if own is None and phrases == [phrase.shown(p) for p in phrase.built_in(variant)]:
            return None  # the built-in list sent back unchanged (in the reader's language): nothing of its own
        if not phrases:
            if own is None:
                return None
            own.delete()
            kept = None
        elif own is None:
            kept = PhraseList.objects.create(
                region=region, key=key, variant=variant, phrases=phrases, updated_by=actor.user
            )
        else:
            own.phrases, own.updated_by, own.version = phrases, actor.user, own.version + 1
            own.save(update_fields=["phrases", "updated_by", "version", "updated_at"])
            kept = own
        if old != (phrases or None):
            name = f"phrases:{key}:{variant}" if variant else f"phrases:{key}"
            record_event(actor=actor, action=EventAction.UPDATED, target=region, changes={name: [old, phrases or None]})
    return kept
