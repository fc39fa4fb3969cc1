"""Reads of transfers. The sending side sees a transfer through the access rule (it sits with
the sending organisation); the receiving side through the organisations it may see; the member
through their own person."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from dangjian.core.access import CHANGE, VIEW, restrict
from dangjian.core.actors import Actor
from dangjian.membership.models import Transfer, TransferState, TransferStep
from dangjian.orgs.models import Organization


def transfers_for(*, actor: Actor, action: str = VIEW) -> QuerySet[Transfer]:
    sending = restrict(Transfer.objects.all(), actor, action).values("pk")
    receiving = restrict(Organization.objects.all(), actor, action).values("pk")
    return Transfer.objects.filter(Q(pk__in=sending) | Q(to_organization__in=receiving))


def _approvable(actor: Actor) -> Q:
    """Transfers whose approving committee the user may act for (under review: theirs to approve)."""
    return Q(approving_organization__in=restrict(Organization.objects.all(), actor, CHANGE).values("pk"))


def transfer_list(*, actor: Actor, state: str = "", direction: str = "") -> QuerySet[Transfer]:
    """Transfers the user may see, newest first; ``direction`` "in" or "out" keeps those whose
    receiving (or sending) organisation is in the user's scope, "approve" those the user's
    committee approves (with ``state`` "reviewing": the workbench's transfers to approve)."""
    qs = transfers_for(actor=actor)
    if state == "active":
        qs = qs.filter(state__in=(TransferState.APPLIED, TransferState.REVIEWING, TransferState.SENT))
    elif state:
        qs = qs.filter(state=state)
    if direction == "in":
        qs = qs.filter(to_organization__in=restrict(Organization.objects.all(), actor, VIEW).values("pk"))
    elif direction == "out":
        qs = qs.filter(pk__in=restrict(Transfer.objects.all(), actor, VIEW).values("pk"))
    elif direction == "approve":
        qs = qs.filter(_approvable(actor))
    return qs.select_related("person", "from_organization", "to_organization").order_by("-created_at", "-pk")


def transfer_for(*, actor: Actor, pk: int) -> Transfer:
    transfer = (
        transfers_for(actor=actor)
        .select_related("person", "member", "from_organization", "to_organization", "approving_organization")
        .filter(pk=pk)
        .first()
    )
    if transfer is None:
        raise Http404
    return transfer


def transfer_steps(*, transfer: Transfer) -> QuerySet[TransferStep]:
    return transfer.steps.select_related("organization", "decided_by").order_by("decided_at", "pk")


def incoming_to_accept(*, actor: Actor) -> QuerySet[Transfer]:
    """Letters sent to an organisation the user may change, waiting to be accepted (the
    receiving side's to-do: this is how the receiver is notified)."""
    orgs = restrict(Organization.objects.all(), actor, CHANGE).values("pk")
    return Transfer.objects.filter(state=TransferState.SENT, to_organization__in=orgs)


def awaiting_approval(*, actor: Actor) -> QuerySet[Transfer]:
    """Transfers under review that the user may approve (transfer_list(state="reviewing",
    direction="approve") lists exactly these)."""
    return Transfer.objects.filter(_approvable(actor), state=TransferState.REVIEWING)


def transfer_todo_counts(*, actor: Actor) -> dict[str, int]:
    """{"transfers_to_accept": …, "transfers_to_approve": …} in one query. The second counts only
    the transfers this user may approve, as the list its to-do opens (``?state=reviewing&direction=
    approve``) shows them; the transfers from the user's branches that wait for a committee above,
    or those heading for them, are not theirs to approve."""
    orgs = restrict(Organization.objects.all(), actor, CHANGE).values("pk")
    to_accept = Q(state=TransferState.SENT, to_organization__in=orgs)
    to_approve = Q(state=TransferState.REVIEWING) & _approvable(actor)
    return Transfer.objects.filter(to_accept | to_approve).aggregate(
        transfers_to_accept=Count("pk", filter=to_accept), transfers_to_approve=Count("pk", filter=to_approve)
    )
