"""Open311 GeoReport v2 under /open311/v2/: every resource as .json or .xml (dangjian/api/open311.py)."""

from django.urls import path, register_converter

from dangjian.api import open311


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311format")

app_name = "open311"
urlpatterns = [
    path("discovery.<open311format:format>", open311.discovery, name="discovery"),
    path("services.<open311format:format>", open311.services, name="services"),
    path("services/<str:code>.<open311format:format>", open311.service_definition, name="service_definition"),
    path("requests.<open311format:format>", open311.requests, name="requests"),
    path("requests/<str:request_id>.<open311format:format>", open311.request_detail, name="request_detail"),
    path("tokens/<str:token>.<open311format:format>", open311.token, name="token"),
]
