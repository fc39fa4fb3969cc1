from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _no_jit(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A new PostgreSQL connection compiles no query (settings.PG_JIT): short web queries whose
    estimated cost passes jit_above_cost spent more time compiling than running."""
    from django.conf import settings

    if connection.vendor == "postgresql" and not settings.PG_JIT:
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(_no_jit, dispatch_uid="dangjian.core.no_jit")
