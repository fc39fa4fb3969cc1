from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "dangjian.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from dangjian.core.importing import register
        from dangjian.orgs.services import register_occupancy
        from dangjian.people import access  # noqa: F401 - registers the access rules
        from dangjian.people.importing import IMPORTER
        from dangjian.people.selectors import still_there

        register_occupancy(still_there)

        from dangjian.orgs.services import register_merger
        from dangjian.people.services import end_seats

        register_merger(end_seats)
        register(IMPORTER)
