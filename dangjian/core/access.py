"""The one access layer (DESIGN.md principle 5).

Every query of people or records goes through ``restrict(queryset, user, action)`` (or the
``.restrict(user, action)`` method of RestrictedQuerySet). Two things meet here:

* what a user may do, and where: a ``Scope`` built from the user's role grants by the provider
  that ``dangjian.accounts`` registers (core cannot import accounts: imports point downward);
* where a record sits in the region and organisation trees: a ``Rule`` registered by the app
  that owns the model, naming the lookups to the Region path, the Organization path, the
  partner unit and the person the record is about.

A model without a rule cannot be restricted at all (ImproperlyConfigured): the layer fails
closed. Outside a user's scope a record does not exist for them: lists exclude it and detail
views answer 404 (``get_object_or_404(Model.objects.restrict(user, "view"), ...)``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Actions used across the platform. Apps may add their own; the role matrix in
# dangjian.accounts.roles says which role may perform which.
VIEW = "view"
CHANGE = "change"
CREATE = "create"
UNMASK = "unmask"
EXPORT = "export"


@dataclass(frozen=True)
class NodeSet:
    """The tree nodes at which a user may perform one action (each covers its subtree)."""

    region_paths: tuple[str, ...] = ()
    org_paths: tuple[str, ...] = ()
    unit_ids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.region_paths or self.org_paths or self.unit_ids)


def minimal_paths(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths that lie inside another path of the set (their subtree is already covered)."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(prefix) for prefix in kept):
            kept.append(path)
    return tuple(kept)


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    person_id: int | None = None
    superuser: bool = False
    roles: frozenset[str] = frozenset()
    grants: dict[str, NodeSet] = field(default_factory=dict)

    def nodes(self, action: str) -> NodeSet:
        return self.grants.get(action, NodeSet())

    def can(self, action: str) -> bool:
        """True if the user may perform ``action`` somewhere (not necessarily on a given record)."""
        return self.superuser or bool(self.nodes(action))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


ANONYMOUS = Scope()


@dataclass(frozen=True)
class Rule:
    region_path: str | None = None  # lookup reaching Region.path, e.g. "region__path"
    org_path: str | None = None  # lookup reaching Organization.path
    unit: str | None = None  # lookup reaching a partner unit id
    person: str | None = None  # lookup equal to the Person the record is about
    user: str | None = None  # lookup equal to the User who owns the record
    self_actions: frozenset[str] = frozenset({VIEW})  # what a person may do on their own records


_rules: dict[type[models.Model], Rule] = {}
_scope_provider: Callable[[Any], Scope] | None = None


def register(model: type[models.Model], rule: Rule) -> None:
    _rules[model] = rule


def rule_for(model: type[models.Model]) -> Rule:
    try:
        return _rules[model]
    except KeyError:
        raise ImproperlyConfigured(
            f"{model.__name__} has no access rule; register one in its app's access.py"
        ) from None


def registered_models() -> list[type[models.Model]]:
    return list(_rules)


def set_scope_provider(provider: Callable[[Any], Scope]) -> None:
    global _scope_provider
    _scope_provider = provider


def scope_for(user: AbstractBaseUser | AnonymousUser | None) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_dangjian_scope", None)
    if cached is not None:
        return cached
    if _scope_provider is None:
        raise ImproperlyConfigured("no scope provider registered")
    scope = _scope_provider(user)
    user._dangjian_scope = scope  # type: ignore[union-attr]
    return scope


def forget_scope(user: Any) -> None:
    if hasattr(user, "_dangjian_scope"):
        del user._dangjian_scope


def _prefix_q(lookup: str, paths: Iterable[str]) -> Q | None:
    parts = [Q(**{f"{lookup}__startswith": path}) for path in paths]
    return reduce(operator.or_, parts) if parts else None


def q_for(model: type[models.Model], scope: Scope, action: str) -> Q | None:
    """The filter that keeps the records of ``model`` on which ``scope`` may perform ``action``.

    Returns None for "everything" (superusers) and an always-false Q for "nothing".
    """
    rule = rule_for(model)
    if scope.superuser:
        return None
    nodes = scope.nodes(action)
    parts: list[Q] = []
    if rule.region_path and nodes.region_paths:
        parts.append(_prefix_q(rule.region_path, nodes.region_paths))  # type: ignore[arg-type]
    if rule.org_path and nodes.org_paths:
        parts.append(_prefix_q(rule.org_path, nodes.org_paths))  # type: ignore[arg-type]
    if rule.unit and nodes.unit_ids:
        parts.append(Q(**{f"{rule.unit}__in": nodes.unit_ids}))
    if rule.person and scope.person_id and action in rule.self_actions:
        parts.append(Q(**{rule.person: scope.person_id}))
    if rule.user and scope.user_id and action in rule.self_actions:
        parts.append(Q(**{rule.user: scope.user_id}))
    if not parts:
        return Q(pk__in=[])
    return reduce(operator.or_, parts)


def restrict(queryset: models.QuerySet, user: Any, action: str = VIEW) -> models.QuerySet:
    q = q_for(queryset.model, scope_for(user), action)
    if q is None:
        return queryset
    if q == Q(pk__in=[]):
        return queryset.none()
    # Rules only follow to-one relations, so the OR of branches never repeats a row.
    return queryset.filter(q)


def allowed(user: Any, action: str, obj: models.Model) -> bool:
    """Whether ``user`` may perform ``action`` on ``obj`` (one query)."""
    model = type(obj)
    return restrict(model._default_manager.filter(pk=obj.pk), user, action).exists()


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = VIEW) -> models.QuerySet:
        return restrict(self, user, action)
