import pytest

from tenancy.services import api_key_create

from ..webhooks.conftest import register
from .test_rewards_api import Api

pytestmark = pytest.mark.django_db


def test_webhook_endpoints_are_listed_without_their_secrets(organization, other_organization, owner):
    endpoint, secret = register(organization, "http://127.0.0.1:9/hooks", events=["reward.created"], actor=owner)
    register(other_organization, "http://127.0.0.1:9/theirs", events=["reward.created"])
    _, raw = api_key_create(organization=organization, name="Tests", actor=None)
    response = Api(raw).get("/webhooks/endpoints")
    assert response.status_code == 200
    (item,) = response.json()
    assert item["id"] == endpoint.pk and item["url"] == endpoint.url and item["events"] == ["reward.created"]
    assert item["enabled"] is True and secret not in response.text and "secret" not in response.text


def test_webhook_endpoints_need_a_key(client):
    assert client.get("/api/v1/webhooks/endpoints").status_code == 401
