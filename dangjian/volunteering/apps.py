from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteeringConfig(AppConfig):
    name = "dangjian.volunteering"
    label = "volunteering"
    verbose_name = _("Volunteering")

    def ready(self) -> None:
        from dangjian.servicedesk.requests.dispatch import register_suggester
        from dangjian.volunteering import access  # noqa: F401 - registers the access rules
        from dangjian.volunteering.indicators import register_checks, register_indicators
        from dangjian.volunteering.selectors import team_suggestions

        register_suggester(lambda actor, req: team_suggestions(actor=actor, req=req))
        register_indicators()  # the evaluation's group B leaves (core.indicators)
        register_checks()  # and a check for a reviewer

        from dangjian.core.housekeeping import register_housekeeping
        from dangjian.volunteering.reports import report_back_open_drafts

        # Once a half-year is over, its 双报到 reports are opened for the communities to confirm.
        register_housekeeping(lambda actor: {"report_back_drafts": report_back_open_drafts(actor=actor)})
