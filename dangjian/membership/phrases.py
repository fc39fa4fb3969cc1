"""Quick phrases (常用语) of the membership pages: what a care visit found and a development
step's opinion, with the worker's own recent texts read from the visits and steps they recorded."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.membership.models import CareVisit, DevelopmentStep
from dangjian.phrases.registry import PhraseField, register_phrase_field

CARE_NOTE = "membership.care_note"
STEP_OPINION = "membership.step_opinion"
RECENT_DAYS = 180
RECENT_READ = 60

CARE_NOTES = (
    "身体状况良好，生活能自理",
    "行动不便，需要定期上门看望",
    "独居，子女不在身边，需要多关心",
    "反映家中有实际困难，需要帮扶",
    "询问党费缴纳和组织生活安排",
    "送去慰问品，老党员表示感谢",
)
STEP_OPINIONS = (
    "同意",
    "经支部委员会讨论，同意",
    "经支部大会讨论，同意",
    "培养联系人认为该同志表现良好",
    "公示期间未收到异议",
    "政治审查合格",
)
ENGLISH = {
    "身体状况良好，生活能自理": "In good health and able to look after themself",
    "行动不便，需要定期上门看望": "Cannot get about easily; needs regular visits at home",
    "独居，子女不在身边，需要多关心": "Lives alone, children far away; needs looking in on",
    "反映家中有实际困难，需要帮扶": "Reports real difficulties at home; needs help",
    "询问党费缴纳和组织生活安排": "Asked about dues and the branch's meetings",
    "送去慰问品，老党员表示感谢": "Brought gifts; the member thanked the party",
    "同意": "Agreed",
    "经支部委员会讨论，同意": "Agreed after discussion by the branch committee",
    "经支部大会讨论，同意": "Agreed after discussion by the branch meeting",
    "培养联系人认为该同志表现良好": "The contacts find the candidate's conduct good",
    "公示期间未收到异议": "No objection was received during the public notice",
    "政治审查合格": "Passed the political review",
}


def _since() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=RECENT_DAYS)


def _own_texts(model: Any, text_field: str) -> Callable[[Actor], list[tuple[str, str]]]:
    """How to read what the worker wrote in ``model``'s ``text_field`` of late (records they may
    still see), newest first."""

    def read(actor: Actor) -> list[tuple[str, str]]:
        rows = (
            restrict(model.objects.all(), actor, VIEW)
            .filter(recorded_by_id=actor.user_id, created_at__gte=timezone.now() - dt.timedelta(days=RECENT_DAYS))
            .order_by("-created_at")
            .values_list(text_field, flat=True)[:RECENT_READ]
        )
        return [("", text) for text in rows]

    return read


def register_phrases() -> None:
    register_phrase_field(
        PhraseField(
            key=CARE_NOTE,
            label=_("What a care visit found"),
            defaults=CARE_NOTES,
            recent=_own_texts(CareVisit, "note"),
            english=ENGLISH,
        )
    )
    register_phrase_field(
        PhraseField(
            key=STEP_OPINION,
            label=_("Opinion on a development step"),
            defaults=STEP_OPINIONS,
            recent=_own_texts(DevelopmentStep, "opinion"),
            english=ENGLISH,
        )
    )
