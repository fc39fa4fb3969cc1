"""The client's address behind trusted proxies (history, rate limits)."""

from django.test import RequestFactory

from dangjian.core.actors import client_ip
from dangjian.core.conf import override


def test_without_proxies_the_forwarded_header_is_ignored(settings):
    settings.DANGJIAN = override(PROXY_COUNT=0)
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"


def test_behind_one_proxy_the_address_it_added_counts_not_what_the_client_wrote(settings):
    settings.DANGJIAN = override(PROXY_COUNT=1)
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == "203.0.113.7"
    junk = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="<script>", REMOTE_ADDR="127.0.0.1")
    assert client_ip(junk) == "127.0.0.1"
