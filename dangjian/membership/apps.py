from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "dangjian.membership"
    label = "membership"
    verbose_name = _("Party membership")

    def ready(self) -> None:
        from dangjian.membership import access  # noqa: F401 - registers the access rules
