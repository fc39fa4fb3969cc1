from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        from dangjian.accounts import access, scopes
        from dangjian.core.access import set_scope_provider

        set_scope_provider(scopes.build_scope)
        del access  # imported for its registrations
