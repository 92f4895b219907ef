"""The Webhooks pages: owners and admins manage endpoints; viewers and researchers are refused;
another organization's endpoints and deliveries are a 404."""

import re

import pytest

from webhooks.events import emit
from webhooks.models import WebhookDelivery, WebhookEndpoint

from .conftest import register

pytestmark = pytest.mark.django_db
LIST = "/organization/settings/webhooks/"
# session, user, membership (with its organization), the endpoint, saved columns, the page of deliveries
# (with their events and endpoint), the beat banner, the approvals badge
QUERIES_DELIVERY_LOG = 8


def create(client, url="http://127.0.0.1:9/hooks", events=("reward.created", "incentive.claimed")):
    return client.post(LIST, {"url": url, "description": "CRM", "events": list(events)})


def test_registering_an_endpoint_shows_its_secret_once_and_never_caches_it(client_for, owner):
    client = client_for(owner)
    response = create(client)
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{LIST}{endpoint.pk}/secret/"

    shown = client.get(response["Location"])
    assert "no-store" in shown["Cache-Control"]
    secret = shown.text.split('<code id="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and secret.startswith(endpoint.secret_prefix)
    assert endpoint.events == ["incentive.claimed", "reward.created"] and endpoint.created_by == owner

    again = client.get(response["Location"])
    assert secret not in again.text and "shown once" in again.text
    assert secret not in client.get(f"{LIST}{endpoint.pk}/").text


def test_the_secret_is_not_stored(client_for, owner):
    create(client_for(owner))
    endpoint = WebhookEndpoint.objects.get()
    from webhooks.signing import endpoint_secret

    stored = " ".join(str(value) for value in WebhookEndpoint.objects.values().get().values())
    assert endpoint_secret(endpoint.secret_nonce) not in stored


def test_a_refused_url_shows_the_form_again_with_why_and_creates_nothing(client_for, owner, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = create(client_for(owner), url="http://10.0.0.8/hooks")
    assert response.status_code == 422
    assert "10.0.0.8 is a private address" in response.text
    assert 'value="http://10.0.0.8/hooks"' in response.text
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_needs_events(client_for, owner):
    response = create(client_for(owner), events=())
    assert response.status_code == 422 and "Choose at least one event" in response.text
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "researcher"])
def test_only_owners_and_admins_can_see_or_manage_endpoints(request, client_for, organization, owner, role):
    endpoint, _ = register(organization, "http://127.0.0.1:9/hooks", actor=owner)
    client = client_for(request.getfixturevalue(role))
    assert client.get(LIST).status_code == 403
    assert create(client).status_code == 403
    assert client.post(f"{LIST}{endpoint.pk}/disable/").status_code == 403
    assert client.post(f"{LIST}{endpoint.pk}/delete/").status_code == 403
    assert WebhookEndpoint.objects.count() == 1 and WebhookEndpoint.objects.get().is_enabled


def test_an_admin_manages_endpoints(client_for, admin_user):
    assert create(client_for(admin_user)).status_code == 302


def test_another_organizations_endpoint_and_deliveries_are_a_404(client_for, other_organization, outsider, owner, django_capture_on_commit_callbacks):
    endpoint, _ = register(other_organization, "http://127.0.0.1:9/theirs", actor=outsider)
    with django_capture_on_commit_callbacks():
        emit(other_organization, "reward.created", {"id": 1})
    delivery = WebhookDelivery.objects.get()
    client = client_for(owner)
    for url in (f"{LIST}{endpoint.pk}/", f"{LIST}{endpoint.pk}/secret/", f"{LIST}deliveries/{delivery.pk}/"):
        assert client.get(url).status_code == 404, url
    for url in (f"{LIST}{endpoint.pk}/disable/", f"{LIST}{endpoint.pk}/delete/", f"{LIST}{endpoint.pk}/replay/",
                f"{LIST}deliveries/{delivery.pk}/replay/"):
        assert client.post(url, {"since": "2026-01-01T00:00"}).status_code == 404, url
    assert "theirs" not in client.get(LIST).text
    assert WebhookEndpoint.objects.get().is_enabled and WebhookDelivery.objects.count() == 1


def test_the_delivery_log_shows_code_excerpt_attempts_and_body(client_for, organization, owner, django_capture_on_commit_callbacks):
    endpoint, _ = register(organization, "http://127.0.0.1:9/hooks", actor=owner)
    with django_capture_on_commit_callbacks():
        event = emit(organization, "reward.created", {"id": 7})
    WebhookDelivery.objects.update(attempts=3, response_status=502, response_excerpt="upstream " + "x" * 3000)
    delivery = WebhookDelivery.objects.get()
    client = client_for(owner)
    log = client.get(f"{LIST}{endpoint.pk}/").text
    assert event.event_id in log and "<code>502</code>" in log and "upstream" in log
    detail = client.get(f"{LIST}deliveries/{delivery.pk}/").text
    assert '{"type":"reward.created"' in detail.replace("&quot;", '"') and "3 attempts" in detail


@pytest.mark.parametrize("events", [1, 60])
def test_the_delivery_log_makes_the_same_number_of_queries_for_few_and_many(client_for, organization, owner, events, django_assert_num_queries, django_capture_on_commit_callbacks):
    endpoint, _ = register(organization, "http://127.0.0.1:9/hooks", actor=owner)
    client = client_for(owner)
    with django_capture_on_commit_callbacks():
        for n in range(events):
            emit(organization, "reward.created", {"id": n})
    WebhookDelivery.objects.update(status="failed", attempts=1)  # each row offers Replay
    with django_assert_num_queries(QUERIES_DELIVERY_LOG):
        log = client.get(f"{LIST}{endpoint.pk}/").text
    assert len(re.findall(r'action="[^"]*/deliveries/\d+/replay/"', log)) == min(events, 50)


def test_the_delivery_log_filters_by_status_event_and_date(client_for, organization, owner, django_capture_on_commit_callbacks):
    endpoint, _ = register(organization, "http://127.0.0.1:9/hooks", actor=owner, events=["reward.created", "incentive.claimed"])
    with django_capture_on_commit_callbacks():
        claimed = emit(organization, "incentive.claimed", {"id": 1})
        created = emit(organization, "reward.created", {"id": 2})
    WebhookDelivery.objects.filter(event=claimed).update(status="failed")
    client = client_for(owner)
    failed = client.get(f"{LIST}{endpoint.pk}/", {"status": "failed"}).text
    assert claimed.event_id in failed and created.event_id not in failed
    by_event = client.get(f"{LIST}{endpoint.pk}/", {"event": "reward.created"}, HTTP_HX_REQUEST="true").text
    assert created.event_id in by_event and claimed.event_id not in by_event and "<html" not in by_event
    bad = client.get(f"{LIST}{endpoint.pk}/", {"since": "not a date"}).text
    assert "Since: Enter a valid date." in bad


def test_disable_enable_and_delete(client_for, organization, owner):
    endpoint, _ = register(organization, "http://127.0.0.1:9/hooks", actor=owner)
    client = client_for(owner)
    client.post(f"{LIST}{endpoint.pk}/disable/")
    endpoint.refresh_from_db()
    assert not endpoint.is_enabled and str(owner) in endpoint.disabled_reason
    client.post(f"{LIST}{endpoint.pk}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.is_enabled
    assert client.post(f"{LIST}{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_replay_from_the_log_queues_the_same_event_again(client_for, organization, owner, django_capture_on_commit_callbacks):
    endpoint, _ = register(organization, "http://127.0.0.1:9/hooks", actor=owner)
    with django_capture_on_commit_callbacks():
        emit(organization, "reward.created", {"id": 1})
    WebhookDelivery.objects.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    client = client_for(owner)
    original = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks():
        response = client.post(f"{LIST}deliveries/{original.pk}/replay/")
    replay = WebhookDelivery.objects.exclude(pk=original.pk).get()
    assert response["Location"] == f"{LIST}deliveries/{replay.pk}/"
    assert replay.event_id == original.event_id and replay.replay_of == original


def test_replay_since_a_time_in_the_future_is_refused_with_a_message(client_for, organization, owner):
    endpoint, _ = register(organization, "http://127.0.0.1:9/hooks", actor=owner)
    response = client_for(owner).post(f"{LIST}{endpoint.pk}/replay/", {"since": "2999-01-01T00:00"}, follow=True)
    assert "Choose a time in the past" in response.text


def test_settings_links_to_webhooks(client_for, owner):
    assert LIST in client_for(owner).get("/organization/settings/").text
