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
        from dangjian.accounts.selectors import roles_held_at
        from dangjian.orgs.services import register_occupancy

        register_occupancy(roles_held_at)
        from dangjian.accounts.importing import IMPORTER
        from dangjian.core.importing import register

        register(IMPORTER)
        del access  # imported for its registrations
