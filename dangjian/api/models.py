"""API keys: how a program (a 12345 hotline system, a partner's app) acts as one user of the
platform through Open311 and the REST API. The key itself is shown once and stored only as a
keyed hash; a key is revoked, never deleted (its events keep pointing at it)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.access import RestrictedQuerySet


class ApiKey(models.Model):
    name = models.CharField(_("name"), max_length=100)
    # HMAC-SHA256 of the key (core.crypto.search_hash): a leaked database does not leak keys.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key begins with"), max_length=16, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acts as"), on_delete=models.PROTECT, related_name="api_keys"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
