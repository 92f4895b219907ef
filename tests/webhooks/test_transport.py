"""Against SSRF: webhooks go only to http(s) URLs whose every address is public, checked at
registration and again at every attempt (WEBHOOKS_ALLOW_PRIVATE off, as in production)."""

import socket

import pytest

from webhooks import services, transport
from webhooks.events import emit
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .conftest import register

pytestmark = pytest.mark.django_db
PUBLIC = "93.184.215.14"


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False


@pytest.fixture
def dns(monkeypatch):
    """Host names resolve to what the test says."""
    answers = {}

    def getaddrinfo(host, port, *args, **kwargs):
        addresses = answers.get(host, [host])
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hooks", "http://10.0.0.5/", "http://172.16.3.4/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/",
    "http://0.0.0.0/", "http://224.0.0.1/",
])
def test_registering_a_non_public_address_is_refused(production, organization, owner, url):
    with pytest.raises(transport.UnsafeUrl, match="not sent to"):
        register(organization, url, actor=owner)
    assert not WebhookEndpoint.objects.exists()


def test_a_host_name_resolving_to_a_private_address_is_refused(production, dns, organization, owner):
    dns["hooks.internal.example"] = ["10.1.2.3"]
    with pytest.raises(transport.UnsafeUrl, match="10.1.2.3 is a private address"):
        register(organization, "https://hooks.internal.example/in", actor=owner)


def test_every_address_of_the_host_is_checked(production, dns, organization, owner):
    dns["mixed.example"] = [PUBLIC, "127.0.0.1"]
    with pytest.raises(transport.UnsafeUrl, match="127.0.0.1 is a loopback address"):
        register(organization, "https://mixed.example/", actor=owner)


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com/", "start with https://"),
    ("file:///etc/passwd", "start with https://"),
    ("gopher://example.com/", "start with https://"),
    ("https://user:pw@example.com/", "no user name or password"),
    ("https://", "needs a host name"),
    ("http://example.com:99999/", "not a valid URL"),
])
def test_other_schemes_and_credentials_in_the_url_are_refused(organization, owner, url, message):
    with pytest.raises(transport.UnsafeUrl, match=message):
        register(organization, url, actor=owner)


def test_a_public_host_is_registered(production, dns, organization, owner):
    dns["hooks.example.com"] = [PUBLIC]
    endpoint, secret = register(organization, "https://hooks.example.com/in", actor=owner)
    assert endpoint.url == "https://hooks.example.com/in" and secret.startswith("whsec_")


def test_a_host_that_resolves_to_a_private_address_after_registering_gets_nothing(production, dns, organization, owner, monkeypatch, django_capture_on_commit_callbacks):
    dns["rebind.example"] = [PUBLIC]
    register(organization, "http://rebind.example/in", actor=owner)
    dns["rebind.example"] = ["192.168.0.10"]  # the DNS answer changes (DNS rebinding)
    monkeypatch.setattr(transport.urllib3.HTTPConnectionPool, "urlopen", lambda *a, **k: pytest.fail("connected"))
    with django_capture_on_commit_callbacks(execute=True):
        emit(organization, "reward.created", {"id": 1})
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.response_status is None
    assert delivery.error == "Webhooks are not sent to rebind.example: 192.168.0.10 is a private address."


def test_the_connection_goes_to_the_address_that_was_checked(dns, monkeypatch):
    dns["pinned.example"] = [PUBLIC]
    seen = {}

    def urlopen(pool, method, path, **kwargs):
        seen.update(host=pool.host, host_header=kwargs["headers"]["Host"], path=path)
        raise transport.urllib3.exceptions.NewConnectionError(None, "stop here")

    monkeypatch.setattr(transport.urllib3.HTTPConnectionPool, "urlopen", urlopen)
    answer = transport.post("http://pinned.example:8080/in?x=1", body="{}", headers={})
    assert seen == {"host": PUBLIC, "host_header": "pinned.example:8080", "path": "/in?x=1"}
    assert answer.status is None and "NewConnectionError" in answer.error


def test_development_allows_loopback_but_never_link_local(settings, organization, owner):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    register(organization, "http://127.0.0.1:8001/hooks", actor=owner)
    with pytest.raises(transport.UnsafeUrl, match="link-local"):
        register(organization, "http://169.254.169.254/", actor=owner)


def test_an_endpoint_needs_at_least_one_known_event(organization, owner):
    with pytest.raises(services.InvalidInput, match="at least one"):
        register(organization, "http://127.0.0.1:8001/", events=[], actor=owner)
    with pytest.raises(services.InvalidInput, match="Unknown event type"):
        register(organization, "http://127.0.0.1:8001/", events=["incentive.teleported"], actor=owner)
