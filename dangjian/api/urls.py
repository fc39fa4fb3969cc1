"""The platform's REST API under /api/v1/ (dangjian/api/rest.py, described in openapi.py)."""

from django.urls import path

from dangjian.api import rest

app_name = "api"
urlpatterns = [
    path("categories", rest.categories, name="categories"),
    path("requests", rest.requests, name="requests"),
    path("requests/<str:request_id>", rest.request_detail, name="request_detail"),
    path("requests/<str:request_id>/transitions", rest.request_transition, name="request_transitions"),
    path("openapi.json", rest.openapi, name="openapi"),
    path("docs/", rest.docs, name="docs"),
]
