import pytest

from .helpers import make_account


@pytest.fixture
def account_and_advocates(organization):
    return make_account(organization)


@pytest.fixture
def account(account_and_advocates):
    return account_and_advocates[0]


@pytest.fixture
def advocates(account_and_advocates):
    return account_and_advocates[1]
