from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from dangjian.core import views as core_views

urlpatterns = [
    path("", include("dangjian.dashboard.urls")),
    path("accounts/", include("dangjian.accounts.urls")),
    path("people/", include("dangjian.people.urls")),
    path("members/", include("dangjian.membership.urls")),
    path("services/", include("dangjian.servicedesk.urls")),
    path("activities/", include("dangjian.activities.urls")),
    path("volunteering/", include("dangjian.volunteering.urls")),
    path("evaluation/", include("dangjian.evaluation.urls")),
    path("r/", include("dangjian.servicedesk.portal.urls")),
    path("open311/v2/", include("dangjian.api.open311_urls")),
    path("api/v1/", include("dangjian.api.urls")),
    path("jobs/", include("dangjian.core.urls")),
    path("imports/", include("dangjian.core.import_urls")),
    path("phrases/", include("dangjian.phrases.urls")),
    # The language button is in every page's header, the public ones too: no sign-in needed.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("ui/large-text/", core_views.toggle_large_text, name="toggle_large_text"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
]
# Uploaded and generated files (exports, imports, attachments) are never served from MEDIA_URL,
# not even in development: each is downloaded through a view that checks access.
