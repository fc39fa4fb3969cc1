"""Keeping secrets out of the logs.

A resident without an account follows a request through its tracking link, /r/t/<token>/: the
token is the key to the request. Django logs the paths of 4xx/5xx responses (``django.request``),
the development server logs every request (``django.server``) and gunicorn its access log; each
would keep the keys in files that operators copy around. ``RedactSecrets`` (a filter on the
console handler, settings.LOGGING) and ``GunicornLogger`` (gunicorn.conf.py) write the tracking
paths as /r/t/…/ instead. nginx needs the same in its log_format: docs/operations.md.
"""

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger

TRACKING_PATH = re.compile(r"(/r/t/)[A-Za-z0-9_\-]{6,}")
REDACTED = r"\1…"


def redact(text: str) -> str:
    return TRACKING_PATH.sub(REDACTED, text)


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrite the tracking tokens in a record's message (it always lets the record through)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()  # the arguments filled in: a token may come in one of them
        if TRACKING_PATH.search(message):
            record.msg, record.args = redact(message), ()
        return True


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with the tracking tokens taken out of the access log's request line."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: _redacted(value) for key, value in atoms.items()}
