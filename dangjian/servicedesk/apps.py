from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "dangjian.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from dangjian.orgs.services import register_merger
        from dangjian.servicedesk import access  # noqa: F401 - registers the access rules
        from dangjian.servicedesk.flags import register_checks
        from dangjian.servicedesk.indicators import register_indicators
        from dangjian.servicedesk.phrases import register_phrases
        from dangjian.servicedesk.requests.lifecycle import requests_assigned_before_merge

        register_merger(requests_assigned_before_merge)
        register_indicators()  # the evaluation's group A leaves (core.indicators)
        register_checks()  # and the checks for an auditor
        register_phrases()  # the desk's quick phrases (phrases/registry.py)
