"""Compression of pages, not of files."""

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/javascript", "image/svg+xml")


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZip (with its random padding against BREACH) for HTML, JSON and XML answers only.
    Downloads — .xlsx, PDF letters, photos — are compressed already and stream from disk: gzipping
    them on the fly costs CPU and drops Content-Length, so browsers could show no progress."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.streaming or not response.get("Content-Type", "").startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)
