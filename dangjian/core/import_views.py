"""Pages of importing a spreadsheet, for every importer (``core.importing``): the list of
imports the actor may use, the template, the upload, the check's and the import's progress and
result, and the confirmation."""

from typing import Any
from urllib.parse import quote

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dangjian.core import importing
from dangjian.core.actors import Actor, ActorRequest
from dangjian.core.forms import NodeChoiceField, SiteForm, choosing
from dangjian.core.jobs import job_for
from dangjian.core.views import is_htmx, perform, submit

PROBLEMS_SHOWN = 500


class ImportForm(SiteForm):
    target: forms.ModelChoiceField = NodeChoiceField(label=_("Import into"), queryset=None, empty_label=None)
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"})
    )

    def __init__(self, *args: Any, actor: Actor, importer: importing.Importer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = choosing(self, "target")
        target.queryset = importer.targets(actor=actor)
        target.label, target.help_text = importer.target_label, importer.target_help
        self.fields["file"].label = importer.file_label


def _importer(key: str, actor: Actor) -> importing.Importer:
    importer = importing.importer_for(key)
    if importer is None or not importer.may_import(actor=actor):
        raise Http404
    return importer


@require_GET
def import_index(request: ActorRequest) -> HttpResponse:
    """The imports the actor may use, in the order a new street loads its data."""
    offered = importing.offered(actor=request.actor)
    if not offered:
        raise Http404
    return render(request, "core/import_index.html", {"importers": offered})


@require_http_methods(["GET", "POST"])
def import_upload(request: ActorRequest, key: str) -> HttpResponse:
    """Upload a file; it is checked in the background and nothing is written until confirmed."""
    importer = _importer(key, request.actor)
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.actor, importer=importer)
    started = submit(
        request,
        form,
        lambda data: importing.import_check_start(
            actor=request.actor, importer=importer, target=data["target"], upload=data["file"]
        ),
    )
    if started.value is not None:
        return redirect("imports:job", pk=started.value.pk)
    return render(request, "core/import_upload.html", {"form": form, "importer": importer})


@require_GET
def import_template(request: ActorRequest, key: str) -> HttpResponse:
    importer = _importer(key, request.actor)
    response = HttpResponse(
        importer.template_xlsx(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(importer.template_filename)}"
    return response


@require_GET
@vary_on_headers("HX-Request")
def import_job(request: ActorRequest, pk: int) -> HttpResponse:
    """Progress of a check or an import; when finished, the problems and (for a check) the
    button that imports the valid rows."""
    job = job_for(actor=request.actor, pk=pk)
    importer = importing.importer_of_job(job)
    if importer is None:
        raise Http404
    result = job.result or {}
    errors = result.get("errors") or []
    is_check = job.kind == f"{importer.kind}_import_check"
    name = {"name": str(job.params.get("name", ""))[:100]}
    context = {
        "job": job,
        # The title in the reader's language (the job's label was written in its starter's).
        "title": (_("Check of the file %(name)s") if is_check else _("Import of the file %(name)s")) % name,
        "importer": importer,
        "result": result,
        "is_check": is_check,
        "sentence": (
            importer.preview_sentence(result["preview"])
            if is_check and result.get("preview")
            else importer.result_sentence(result)
            if not is_check and job.status == "succeeded"
            else ""
        ),
        "problems": errors[:PROBLEMS_SHOWN],
        "more_problems": max(len(errors) - PROBLEMS_SHOWN, 0),
        "warnings": result.get("warnings") or [],
    }
    template = "core/import_job.html#status" if is_htmx(request) else "core/import_job.html"
    return render(request, template, context)


@require_POST
def import_confirm(request: ActorRequest, pk: int) -> HttpResponse:
    check = job_for(actor=request.actor, pk=pk)
    started = perform(request, lambda: importing.import_confirm(actor=request.actor, check=check))
    return redirect("imports:job", pk=started.value.pk if started.value is not None else check.pk)
