"""The quick-phrase lists of a district or street, edited by its admins."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dangjian.core.actors import ActorRequest
from dangjian.core.validators import parse_id
from dangjian.core.views import perform
from dangjian.phrases import selectors, services


@require_http_methods(["GET", "POST"])
def manage(request: ActorRequest) -> HttpResponse:
    """One form per field (and per service for 诉求内容): the phrases, one per line."""
    regions = list(selectors.editable_regions(actor=request.actor))
    if not regions:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    wanted = parse_id(data.get("region"))
    region = next((r for r in regions if r.pk == wanted), None) if wanted is not None else regions[0]
    if region is None:
        raise Http404
    failed: dict[str, object] = {}
    if request.method == "POST":
        key, variant, text = (
            request.POST.get("key", "")[:60],
            request.POST.get("variant", "")[:40],
            request.POST.get("text", "")[:20000],
        )
        saved = perform(
            request,
            lambda: services.phrase_list_save(actor=request.actor, region=region, key=key, variant=variant, text=text),
        )
        if saved:
            messages.success(request, _("The phrases have been saved."))
            anchor = selectors.list_anchor(key, variant)
            return redirect(f"{request.path}?{urlencode({'region': str(region.pk), 'saved': anchor})}#{anchor}")
        failed = {"key": key, "variant": variant, "text": text}
    rows = selectors.region_lists(actor=request.actor, region=region)
    for row in rows:
        if failed and failed["key"] == row.phrase.key and failed["variant"] == row.variant:
            row.text, row.failed = str(failed["text"]), True
    context = {"regions": regions, "region": region, "rows": rows, "opened": request.GET.get("saved", "")[:120]}
    return render(request, "phrases/manage.html", context)
