from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "dangjian.membership"
    label = "membership"
    verbose_name = _("Party membership")

    def ready(self) -> None:
        from dangjian.core.importing import register
        from dangjian.membership import access  # noqa: F401 - registers the access rules
        from dangjian.membership.importing.members import IMPORTER

        register(IMPORTER)

        from dangjian.membership.roster.services import merge_members
        from dangjian.orgs.services import register_merger

        register_merger(merge_members)

        from dangjian.membership.indicators import register_indicators

        register_indicators()  # the evaluation's dues leaf (core.indicators)

        from dangjian.membership.phrases import register_phrases

        register_phrases()  # the care visits' and development steps' quick phrases (phrases/registry.py)
