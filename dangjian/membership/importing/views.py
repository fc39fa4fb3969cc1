"""Pages of importing a roster from Excel or CSV."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.core.actors import ActorRequest
from dangjian.core.jobs import job_for
from dangjian.core.views import is_htmx, perform, submit
from dangjian.membership.forms import ImportForm
from dangjian.membership.importing import jobs as imports
from dangjian.membership.importing import members as importing
from dangjian.membership.importing import selectors as import_selectors


@require_http_methods(["GET", "POST"])
def import_upload(request: ActorRequest) -> HttpResponse:
    """Upload a roster; it is checked in the background and nothing is written until confirmed."""
    if not import_selectors.may_import(actor=request.actor):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.actor)
    started = submit(
        request,
        form,
        lambda data: imports.import_check_start(
            actor=request.actor, organization=data["organization"], upload=data["file"]
        ),
    )
    if started.value is not None:
        return redirect("membership:import_job", pk=started.value.pk)
    return render(request, "membership/import_upload.html", {"form": form})


@require_GET
@vary_on_headers("HX-Request")
def import_job(request: ActorRequest, pk: int) -> HttpResponse:
    """Progress of a check or an import; when finished, the problems and (for a check) the
    button that imports the valid rows."""
    job = job_for(actor=request.actor, pk=pk)
    if not imports.is_import_job(job):
        raise Http404
    result = job.result or {}
    context = {
        "job": job,
        "result": result,
        "is_check": job.kind == imports.KIND_CHECK,
        "problems": (result.get("errors") or [])[:500],
        "more_problems": max(len(result.get("errors") or []) - 500, 0),
        "warnings": result.get("warnings") or [],
    }
    template = "membership/import_job.html#status" if is_htmx(request) else "membership/import_job.html"
    return render(request, template, context)


@require_POST
def import_confirm(request: ActorRequest, pk: int) -> HttpResponse:
    check = job_for(actor=request.actor, pk=pk)
    started = perform(request, lambda: imports.import_confirm(actor=request.actor, check=check))
    return redirect("membership:import_job", pk=started.value.pk if started.value is not None else check.pk)


@require_GET
def import_template(request: ActorRequest) -> HttpResponse:
    response = HttpResponse(
        importing.template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%85%9A%E5%91%98%E4%BF%A1%E6%81%AF%E9%87%87%E9%9B%86%E8%A1%A8.xlsx"
    )
    return response
