from django.urls import include, path

from dangjian.core import views as core_views

urlpatterns = [
    path("", include("dangjian.dashboard.urls")),
    path("accounts/", include("dangjian.accounts.urls")),
    path("people/", include("dangjian.people.urls")),
    path("members/", include("dangjian.membership.urls")),
    path("services/", include("dangjian.servicedesk.urls")),
    path("r/", include("dangjian.servicedesk.portal.urls")),
    path("open311/v2/", include("dangjian.api.open311_urls")),
    path("api/v1/", include("dangjian.api.urls")),
    path("jobs/", include("dangjian.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ui/large-text/", core_views.toggle_large_text, name="toggle_large_text"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
]
# Uploaded and generated files (exports, imports, attachments) are never served from MEDIA_URL,
# not even in development: each is downloaded through a view that checks access.
