from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "dangjian.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from dangjian.activities import access  # noqa: F401 - registers the access rules
        from dangjian.activities.services import move_activities
        from dangjian.orgs.services import register_merger

        register_merger(move_activities)
