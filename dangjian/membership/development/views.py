"""Development pages: the pipeline board, starting a candidate, a candidate's 25 steps."""

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.access import CHANGE, VIEW, allowed, restrict
from dangjian.core.actors import ActorRequest
from dangjian.core.forms import offered
from dangjian.core.validators import parse_id
from dangjian.core.views import perform, submit
from dangjian.membership import phrases as membership_phrases
from dangjian.membership.development import rules as development
from dangjian.membership.development import selectors as development_selectors
from dangjian.membership.development import services as development_services
from dangjian.membership.forms import CandidateStartForm, StepForm
from dangjian.membership.models import DevelopmentStep
from dangjian.membership.roster import selectors as roster_selectors
from dangjian.orgs.models import Organization
from dangjian.phrases import selectors as phrase_selectors


@require_GET
def pipeline(request: ActorRequest) -> HttpResponse:
    orgs = restrict(Organization.objects.exclude(kind="group"), request.actor, VIEW).order_by("path")
    org_id = parse_id(request.GET.get("org"))
    organization = orgs.filter(pk=org_id).first() if org_id is not None else None
    board = development_selectors.pipeline(actor=request.actor, organization=organization)
    context = {"board": board, "organization": organization, "orgs": orgs[:300]}
    return render(request, "membership/development_board.html", context)


@require_http_methods(["GET", "POST"])
def candidate_new(request: ActorRequest) -> HttpResponse:
    form = CandidateStartForm(request.POST or None, actor=request.actor)
    if not offered(form, "organization").exists():
        raise Http404
    started = submit(
        request,
        form,
        lambda data: development_services.candidate_start(
            actor=request.actor,
            person=data["person"],
            organization=data["organization"],
            applied_on=data["applied_on"],
        ),
        success=_("The application has been recorded."),
    )
    if started.value is not None:
        return redirect("membership:candidate", pk=started.value.pk)
    return render(request, "membership/candidate_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def candidate_detail(request: ActorRequest, pk: int) -> HttpResponse:
    """The 25 steps by stage, the warnings with reasons, and a form to record the chosen step."""
    view = development_selectors.candidate_for(actor=request.actor, pk=pk)
    candidate = view.candidate
    can_change = allowed(request.actor, CHANGE, candidate)
    asked = request.GET.get("step", "")  # a to-do or a step's link opens that step's form
    code = request.POST.get("code") or asked or (view.next_step.code if view.next_step else "")
    step = development.STEP_BY_CODE.get(code)
    form = None
    if step is not None and can_change:
        recorded = view.steps.get(step.code)
        # A step not yet recorded happened today, under the signed-in worker (still changeable).
        initial: dict[str, object] = {
            "done_on": request.actor.today,
            "responsible": roster_selectors.signed_in_name(actor=request.actor),
        }
        if recorded is not None:
            initial = {
                "done_on": recorded.done_on,
                "responsible": recorded.responsible,
                "opinion": recorded.opinion,
                "publicity_from": recorded.publicity_from,
                "publicity_to": recorded.publicity_to,
                "hours": recorded.hours,
                "people": list(recorded.people.all()),
            }
        form = StepForm(
            request.POST or None, request.FILES or None, step=step, organization=candidate.organization, initial=initial
        )
        if asked == step.code and request.method == "GET":
            form.fields["done_on"].widget.attrs["autofocus"] = True
        phrase_selectors.offer_under(form, "opinion", actor=request.actor, key=membership_phrases.STEP_OPINION)
        recorded_now = submit(
            request,
            form,
            lambda data: development_services.step_record(
                actor=request.actor,
                candidate=candidate,
                code=step.code,
                data=data,
                attachment=data.get("attachment"),
            ),
            success=_("“%(step)s” has been recorded.") % {"step": step.label},
        )
        if recorded_now:
            return redirect("membership:candidate", pk=candidate.pk)
    elif request.method == "POST":
        raise Http404
    stages = [
        {
            "number": number,
            "label": label,
            "steps": [
                {"def": s, "record": view.steps.get(s.code), "warnings": [w for w in view.warnings if w.step == s.code]}
                for s in development.STEPS
                if s.stage == number
            ],
        }
        for number, label in development.STAGES.items()
    ]
    context = {
        "view": view,
        "candidate": candidate,
        "stages": stages,
        "form": form,
        "step": step,
        "can_change": can_change,
    }
    return render(request, "membership/candidate_detail.html", context)


@require_POST
def candidate_stop(request: ActorRequest, pk: int) -> HttpResponse:
    view = development_selectors.candidate_for(actor=request.actor, pk=pk)
    perform(
        request,
        lambda: development_services.candidate_stop(
            actor=request.actor, candidate=view.candidate, reason=request.POST.get("reason", "")
        ),
        success=_("The development has been stopped."),
    )
    return redirect("membership:candidate", pk=pk)


@require_GET
def step_attachment(request: ActorRequest, pk: int) -> FileResponse:
    step = restrict(DevelopmentStep.objects.all(), request.actor, VIEW).filter(pk=pk).first()
    if step is None or not step.attachment:
        raise Http404
    return FileResponse(
        step.attachment.open("rb"), as_attachment=True, filename=step.attachment.name.rsplit("/", 1)[-1]
    )
