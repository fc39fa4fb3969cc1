"""A region's own list of quick phrases (常用语) for one free-text field (and variant)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import TimeStampedModel


class PhraseList(TimeStampedModel):
    """The phrases offered under one field (``key``, e.g. "servicedesk.result"), for one variant of
    it (a service's code for 诉求内容; "" for none), in a region's subtree. The nearest list up the
    region tree wins; without one the field's built-in phrases are offered (phrases/registry.py)."""

    region = models.ForeignKey(
        "orgs.Region", verbose_name=_("region"), on_delete=models.CASCADE, related_name="phrase_lists"
    )
    key = models.CharField(_("field"), max_length=60)
    variant = models.CharField(_("variant"), max_length=40, blank=True)
    phrases = models.JSONField(_("phrases"), default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("phrase list")
        verbose_name_plural = _("phrase lists")
        constraints = [models.UniqueConstraint(fields=["region", "key", "variant"], name="phrase_list_unique")]

    def __str__(self) -> str:
        return f"{self.key}:{self.variant}"
