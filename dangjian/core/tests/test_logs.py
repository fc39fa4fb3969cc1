"""Tracking tokens stay out of the logs: Django's request logs, the development server's and
gunicorn's access log write /r/t/…/ instead of the key to a resident's request."""

import io
import logging

import pytest
from django.test import Client

from dangjian.core.logs import GunicornLogger, redact

TOKEN = "L4xs4dmK-bFS_9aQ2w"


def test_redact_takes_the_token_out_of_a_tracking_path():
    assert redact(f"GET /r/t/{TOKEN}/confirm/ HTTP/1.1") == "GET /r/t/…/confirm/ HTTP/1.1"
    assert redact("GET /r/find/ HTTP/1.1") == "GET /r/find/ HTTP/1.1"


@pytest.mark.django_db
def test_a_not_found_tracking_link_is_logged_without_its_token(client: Client):
    """The settings' console handler carries the filter: a 404 on a tracking link (logged by
    django.request with the path) reaches the log without the token."""
    handler = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        assert client.get(f"/r/t/{TOKEN}/").status_code == 404
        logging.getLogger("django.server").info('"GET /r/t/%s/ HTTP/1.1" 404 1234', TOKEN)
    finally:
        handler.setStream(previous)
    written = stream.getvalue()
    assert "/r/t/…/" in written  # the lines were written, without the key
    assert TOKEN not in written


def test_gunicorns_access_log_leaves_the_token_out():
    from gunicorn.config import Config

    class Response:
        status = "200 OK"
        response_length = 10
        sent = 10
        headers = ()

    class Request:
        headers = ()

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/r/t/{TOKEN}/",
        "PATH_INFO": f"/r/t/{TOKEN}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    import datetime as dt

    atoms = GunicornLogger(Config()).atoms(Response(), Request(), environ, dt.timedelta(seconds=0.1))
    assert TOKEN not in " ".join(str(v) for v in atoms.values())
    assert atoms["U"] == "/r/t/…/"
