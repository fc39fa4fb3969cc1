from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "dangjian.orgs"
    label = "orgs"
    verbose_name = _("Regions and organisations")

    def ready(self) -> None:
        from dangjian.core.importing import register
        from dangjian.orgs import access  # noqa: F401 - registers the access rules
        from dangjian.orgs.importing import IMPORTER

        register(IMPORTER)
