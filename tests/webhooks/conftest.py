import pytest

from webhooks import services

from .receiver import Receiver

ALL_EVENTS = ["incentive.sent", "incentive.claimed", "incentive.paid", "incentive.cancelled", "incentive.expired",
              "offer.status_changed", "offer.message", "reward.created", "reward.available", "reward.redeemed",
              "reward.cancelled"]


def register(organization, url, *, events=ALL_EVENTS, actor=None):
    return services.webhook_endpoint_create(organization=organization, url=url, events=events, actor=actor)


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    if receiver._server is not None:
        try:
            receiver.stop()
        except Exception:
            pass


@pytest.fixture
def endpoint(organization, owner, receiver):
    """An endpoint of the organization pointing at the receiver, which knows its secret."""
    endpoint, secret = register(organization, receiver.url, actor=owner)
    receiver.secret = secret
    return endpoint
