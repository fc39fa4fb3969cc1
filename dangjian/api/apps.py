from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "dangjian.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from dangjian.api import access  # noqa: F401 - registers the access rules
