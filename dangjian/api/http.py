"""Reading the body of a request to either API: its failures answer in the API's own format."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousMultipartForm,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, RawPostDataException, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _


class BodyError(Exception):
    """A body the API will not take: 413 (over the limits) or 400 (unreadable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def read_body(request: HttpRequest) -> None:
    """Read and parse the body of a write now, before anything else touches it.

    Django parses a body lazily, on the first read of ``request.POST`` or ``request.body`` (the
    CSRF check is one), and a body over its limits or malformed then raises an exception that
    becomes its HTML 400 page. Read here, it raises BodyError instead, for each API to answer in
    its own format; afterwards ``request.POST`` and ``request.body`` (JSON) no longer fail.

    Neither API takes files, so the whole body counts against DATA_UPLOAD_MAX_MEMORY_SIZE
    (Django's own limit leaves out files, which it streams to disk): a longer one is refused by
    its Content-Length before a byte is read."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_large = _("The body is larger than the %(limit)d bytes accepted.") % {"limit": limit or 0}
    if limit is not None and length > limit:
        raise BodyError(413, too_large)
    try:
        if request.content_type != "multipart/form-data":
            request.body  # noqa: B018 - read once and kept; over the limit it raises here
        request.POST  # noqa: B018 - parsed once and kept (forms); empty for other types
    except RequestDataTooBig:
        raise BodyError(413, too_large) from None
    except (TooManyFieldsSent, TooManyFilesSent):
        raise BodyError(413, _("The body has more fields than accepted.")) from None
    except (MultiPartParserError, SuspiciousMultipartForm, BadRequest, UnreadablePostError, RawPostDataException):
        raise BodyError(400, _("The body could not be read: check its Content-Type and its encoding.")) from None
