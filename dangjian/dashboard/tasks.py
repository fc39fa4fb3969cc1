"""Background work of the workbench: counting its figures afresh (see selectors.workbench_figures)."""

from django_tasks import task

from dangjian.accounts.models import User
from dangjian.core.actors import Actor
from dangjian.dashboard import selectors


@task()
def recount_workbench_figures(user_id: int, language: str) -> None:
    """Count the figures of ``user_id``'s scope as they would see them and keep them for every
    user of that scope. Nothing for a user deactivated meanwhile."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    selectors.keep_counted_figures(actor=Actor(user=user, via="job", language=language))
