"""Which of the service desk's pages a user may open at all (the access layer then decides which
records they see on it)."""

from django.http import Http404

from dangjian.core.actors import Actor


def require_staff(actor: Actor) -> None:
    """The staff pages (queue, desk, callbacks, receptions) exist only for users with a region or
    organisation scope; for anyone else they answer 404, like a record outside one's scope."""
    if not actor.scope.sees_trees:
        raise Http404
