"""Background work of the workbench: counting its figures afresh (see selectors.workbench_figures)."""

from django.core.cache import cache
from django.utils import translation
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
    actor = Actor(user=user, via="job", language=language)
    with translation.override(language):
        figures = selectors.count_workbench_figures(actor=actor)
    key = selectors.figures_key(actor=actor)
    cache.set(key, figures, selectors.FIGURES_KEEP_SECONDS)
    cache.delete(f"{key}:recounting")
