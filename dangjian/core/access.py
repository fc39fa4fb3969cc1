"""The one access layer (DESIGN.md principle 5).

Every query of people or records goes through ``restrict(queryset, actor, action)`` (or the
``.restrict(actor, action)`` method of RestrictedQuerySet), where ``actor`` is the
``core.actors.Actor`` who asks. Two things meet here:

* what a user may do, and where: a ``Scope`` built from the user's role grants by the provider
  that ``dangjian.accounts`` registers (core cannot import accounts: imports point downward);
* where a record sits in the region and organisation trees: a ``Rule`` registered by the app
  that owns the model, naming the lookups to the Region path, the Organization path, the
  partner unit and the person the record is about.

A model without a rule cannot be restricted at all (ImproperlyConfigured): the layer fails
closed. Outside a user's scope a record does not exist for them: lists exclude it and detail
views answer 404 (``get_object_or_404(Model.objects.restrict(actor, "view"), ...)``).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Case, Q, Value, When

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from dangjian.core.actors import Actor

# Actions used across the platform. Apps may add their own; the role matrix in
# dangjian.accounts.roles says which role may perform which.
VIEW = "view"
CHANGE = "change"
CREATE = "create"
UNMASK = "unmask"
EXPORT = "export"
CONFIGURE = "configure"  # the trees, catalogues, checklists, calendars of a street or district


@dataclass(frozen=True)
class NodeSet:
    """The tree nodes at which a user may perform one action (each covers its subtree)."""

    region_paths: tuple[str, ...] = ()
    org_paths: tuple[str, ...] = ()
    unit_ids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.region_paths or self.org_paths or self.unit_ids)

    def covers(self, other: NodeSet) -> bool:
        """Whether every node of ``other`` lies in one of this set's subtrees."""
        return (
            all(_covers(self.region_paths, path) for path in other.region_paths)
            and all(_covers(self.org_paths, path) for path in other.org_paths)
            and set(other.unit_ids) <= set(self.unit_ids)
        )

    def as_data(self) -> dict[str, list[Any]]:
        """The set as JSON-ready data (to keep with what was made under it, e.g. a job's file)."""
        return {"regions": list(self.region_paths), "orgs": list(self.org_paths), "units": list(self.unit_ids)}

    @classmethod
    def from_data(cls, data: dict[str, list[Any]]) -> NodeSet:
        return cls(
            region_paths=tuple(map(str, data.get("regions", ()))),
            org_paths=tuple(map(str, data.get("orgs", ()))),
            unit_ids=tuple(map(int, data.get("units", ()))),
        )


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
    # Where the user's own person sits in the trees, e.g. {"home": region path, "membership": org
    # path}; lets q_for leave out the "own records" branch when a grant already covers them.
    self_paths: dict[str, str] = field(default_factory=dict)
    superuser: bool = False
    roles: frozenset[str] = frozenset()
    grants: dict[str, NodeSet] = field(default_factory=dict)
    # Every node the user holds a role at, whatever the role and even inside another grant's
    # subtree (``grants`` keeps the widest nodes only): where the user works, e.g. to tell
    # whether they are inside a unit they would be checking (servicedesk callbacks).
    held: NodeSet = field(default_factory=NodeSet)
    # Per-request memo of tree-node ids under the granted paths: {(model label, paths): ids}.
    node_ids: dict[tuple[str, tuple[str, ...]], tuple[int, ...]] = field(default_factory=dict, compare=False)

    def nodes(self, action: str) -> NodeSet:
        return self.grants.get(action, NodeSet())

    def can(self, action: str) -> bool:
        """True if the user may perform ``action`` somewhere (not necessarily on a given record)."""
        return self.superuser or bool(self.nodes(action))

    @property
    def sees_trees(self) -> bool:
        """Whether the organisation, region and people pages have anything to show this user."""
        nodes = self.nodes(VIEW)
        return self.superuser or bool(nodes.region_paths or nodes.org_paths)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def signature(self, action: str = VIEW) -> str:
        """A stable key for what this scope may ``action`` (users with equal scopes share it),
        e.g. to cache figures computed over the scope."""
        nodes = self.nodes(action)
        parts = [
            "su" if self.superuser else "",
            ",".join(nodes.region_paths),
            ",".join(nodes.org_paths),
            ",".join(map(str, nodes.unit_ids)),
            str(self.person_id or ""),
        ]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


ANONYMOUS = Scope()


@dataclass(frozen=True)
class Rule:
    region_path: str | None = None  # lookup reaching Region.path, e.g. "region__path"
    org_path: str | None = None  # lookup reaching Organization.path
    unit: str | None = None  # lookup reaching a partner unit id
    person: str | None = None  # lookup equal to the Person the record is about
    user: str | None = None  # lookup equal to the User who owns the record
    self_actions: frozenset[str] = frozenset({VIEW})  # what a person may do on their own records
    # Which of Scope.self_paths are this model's own-record region and organisation paths.
    self_region: str | None = None
    self_org: str | None = None


_rules: dict[type[models.Model], Rule] = {}
_scope_provider: Callable[[Any], Scope] | None = None
_self_paths_provider: Callable[[Any], tuple[int | None, dict[str, str]]] | None = None


def register(model: type[models.Model], rule: Rule) -> None:
    _rules[model] = rule


def rule_for(model: type[models.Model]) -> Rule:
    try:
        return _rules[model]
    except KeyError:
        raise ImproperlyConfigured(
            f"{model.__name__} has no access rule; register one in its app's access.py"
        ) from None


def set_scope_provider(provider: Callable[[Any], Scope]) -> None:
    global _scope_provider
    _scope_provider = provider


def set_self_paths_provider(provider: Callable[[Any], tuple[int | None, dict[str, str]]]) -> None:
    """The app that owns people registers how to find a user's person and where it sits."""
    global _self_paths_provider
    _self_paths_provider = provider


def self_paths_for(user: AbstractBaseUser) -> tuple[int | None, dict[str, str]]:
    return _self_paths_provider(user) if _self_paths_provider else (None, {})


def _covers(paths: tuple[str, ...], path: str | None) -> bool:
    return bool(path) and any(path.startswith(prefix) for prefix in paths)  # type: ignore[union-attr]


def compute_scope(user: AbstractBaseUser | AnonymousUser | None) -> Scope:
    """The scope of ``user``'s grants (a few queries). Callers hold it on their ``Actor``
    (``actor.scope``), which computes it once."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    if _scope_provider is None:
        raise ImproperlyConfigured("no scope provider registered")
    return _scope_provider(user)


def scope_of(actor: Actor) -> Scope:
    """The actor's scope. Only an ``Actor`` says who acts: a bare user is refused, so no query
    escapes the scope it was asked in (or recomputes it per call)."""
    try:
        return actor.scope
    except AttributeError:
        raise TypeError(f"the access layer takes an Actor, not {type(actor).__name__}") from None


def _always_set(model: type[models.Model], lookup: str) -> bool:
    """True if every row reaches a node through ``lookup`` (only non-null forward keys)."""
    for name in lookup.split("__"):
        field = model._meta.get_field(name)
        if not getattr(field, "many_to_one", False) and not getattr(field, "one_to_one", False):
            return False
        if field.auto_created or field.null:  # a reverse relation, or a key that may be empty
            return False
        model = field.related_model  # type: ignore[assignment]
    return True


def _related_model(model: type[models.Model], lookup: str) -> type[models.Model]:
    for name in lookup.split("__"):
        model = model._meta.get_field(name).related_model  # type: ignore[assignment]
    return model


def _tree_q(model: type[models.Model], lookup: str, paths: tuple[str, ...], scope: Scope) -> Q | None:
    """Records whose tree node (reached by ``lookup``, ending in ``__path``) lies under ``paths``.

    A node's own table is filtered by path prefix. Other tables are filtered by the ids of the
    nodes under the paths, resolved once per request (trees are small: ~1,000 grids in a
    district). A literal id list lets PostgreSQL combine this branch with the others
    (own records…) as a BitmapOr of index scans, where a join on path or a sub-select cannot.
    """
    if lookup == "path":
        return reduce(operator.or_, (Q(path__startswith=path) for path in paths))
    foreign_key = lookup.removesuffix("__path")
    node_model = _related_model(model, foreign_key)
    key = (node_model._meta.label, paths)
    if key not in scope.node_ids:
        under = reduce(operator.or_, (Q(path__startswith=path) for path in paths))
        flagged = node_model._default_manager.annotate(
            under=Case(When(under, then=Value(True)), default=Value(False), output_field=models.BooleanField())
        ).values_list("pk", "under")
        rows = list(flagged)
        ids = tuple(pk for pk, inside in rows if inside)
        # () stands for "every node": a grant at the root of the only tree.
        scope.node_ids[key] = () if len(ids) == len(rows) else ids or (0,)
    ids = scope.node_ids[key]
    if not ids:
        # Every node is granted: rows that always have a node need no filter at all.
        return None if _always_set(model, foreign_key) else Q(**{f"{foreign_key}__isnull": False})
    return Q(**{f"{foreign_key}__in": ids})


def q_for(model: type[models.Model], scope: Scope, action: str) -> Q | None:
    """The filter that keeps the records of ``model`` on which ``scope`` may perform ``action``.

    Returns None for "everything" (superusers, grants at the root of the only tree) and an
    always-false Q for "nothing".
    """
    rule = rule_for(model)
    if scope.superuser:
        return None
    nodes = scope.nodes(action)
    parts: list[Q] = []
    for lookup, paths in ((rule.region_path, nodes.region_paths), (rule.org_path, nodes.org_paths)):
        if lookup and paths:
            branch = _tree_q(model, lookup, paths, scope)
            if branch is None:  # the grant covers the whole tree: no filter at all
                return None
            parts.append(branch)
    if rule.unit and nodes.unit_ids:
        parts.append(Q(**{f"{rule.unit}__in": nodes.unit_ids}))
    if rule.person and scope.person_id and action in rule.self_actions:
        # An OR with "own records" keeps PostgreSQL from using indexes across joins; leave it out
        # when a grant already covers the user's own records.
        covered = (
            rule.region_path
            and rule.self_region
            and _covers(nodes.region_paths, scope.self_paths.get(rule.self_region))
        ) or (rule.org_path and rule.self_org and _covers(nodes.org_paths, scope.self_paths.get(rule.self_org)))
        if not covered:
            parts.append(Q(**{rule.person: scope.person_id}))
    if rule.user and scope.user_id and action in rule.self_actions:
        parts.append(Q(**{rule.user: scope.user_id}))
    if not parts:
        return Q(pk__in=[])
    return reduce(operator.or_, parts)


def restrict(queryset: models.QuerySet, actor: Actor, action: str = VIEW) -> models.QuerySet:
    q = q_for(queryset.model, scope_of(actor), action)
    if q is None:
        return queryset
    if q == Q(pk__in=[]):
        return queryset.none()
    # Rules only follow to-one relations, so the OR of branches never repeats a row.
    return queryset.filter(q)


def _prefixed(q: Q, prefix: str) -> Q:
    """``q`` with every lookup moved behind ``prefix__`` (to filter through a relation)."""
    moved = Q()
    moved.connector, moved.negated = q.connector, q.negated
    moved.children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (f"{prefix}__{child[0]}", child[1])  # type: ignore[index]
        for child in q.children  # a Q's children are Qs and (lookup, value) pairs
    ]
    return moved


def restrict_via(queryset: models.QuerySet, relation: str, actor: Actor, action: str = VIEW) -> models.QuerySet:
    """Rows of ``queryset`` whose ``relation`` (a to-one lookup, e.g. "person") the actor may
    ``action`` by that related model's rule: e.g. members or tag links of the people one may see,
    without a sub-select over the whole people table."""
    related = _related_model(queryset.model, relation)
    q = q_for(related, scope_of(actor), action)
    if q is None:
        return queryset
    if q == Q(pk__in=[]):
        return queryset.none()
    return queryset.filter(_prefixed(q, relation))


def annotate_allowed(
    queryset: models.QuerySet, actor: Actor, action: str, *, relation: str = "", name: str = "allowed"
) -> models.QuerySet:
    """``queryset`` with a boolean ``name`` saying, row by row, whether ``actor`` may ``action`` the
    row's ``relation`` (a to-one lookup such as "person"; empty for the row itself) by that model's
    rule — the per-record rule of ``allowed`` for a whole list in the same query."""
    model = _related_model(queryset.model, relation) if relation else queryset.model
    q = q_for(model, scope_of(actor), action)
    if q is None:
        return queryset.annotate(**{name: models.Value(True, output_field=models.BooleanField())})
    if relation:
        q = _prefixed(q, relation)
    return queryset.annotate(
        **{name: models.Case(models.When(q, then=True), default=False, output_field=models.BooleanField())}
    )


def nodes_changed(actor: Actor) -> None:
    """Forget the node ids ``actor``'s scope resolved (``_tree_q``): a node was added or moved,
    and the next check in the same request or job (an import adding a community, then its
    committee) must see it."""
    scope_of(actor).node_ids.clear()


def allowed(actor: Actor, action: str, obj: models.Model) -> bool:
    """Whether ``actor`` may perform ``action`` on ``obj`` (one query)."""
    model = type(obj)
    return restrict(model._default_manager.filter(pk=obj.pk), actor, action).exists()


def allowed_loaded(actor: Actor, action: str, obj: models.Model) -> bool:
    """``allowed`` without a query, for a record loaded with the relations its rule follows (e.g. an
    Organization with its region): the rule's tree lookups are read from the object. A rule that
    also grants a person's own records asks the database (``allowed``)."""
    scope = scope_of(actor)
    if scope.superuser:
        return True
    rule = rule_for(type(obj))
    if (rule.person or rule.user) and action in rule.self_actions:
        return allowed(actor, action, obj)
    nodes = scope.nodes(action)

    def read(lookup: str) -> Any:
        value: Any = obj
        for name in lookup.split("__"):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    return bool(
        (rule.region_path and _covers(nodes.region_paths, read(rule.region_path)))
        or (rule.org_path and _covers(nodes.org_paths, read(rule.org_path)))
        or (rule.unit and read(rule.unit) in nodes.unit_ids)
    )


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, actor: Actor, action: str = VIEW) -> models.QuerySet:
        return restrict(self, actor, action)
