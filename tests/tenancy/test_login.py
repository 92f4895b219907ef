import itertools
import logging

import pytest
from django.test import Client
from django.urls import reverse

from core.logging import RedactTokensFilter

pytestmark = pytest.mark.django_db


def test_demo_style_login_works_with_email_and_password(client, researcher):
    response = client.post(reverse("login"), {"username": researcher.email, "password": "pw-for-tests-1"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_email_is_matched_without_regard_to_case(client, researcher):
    response = client.post(reverse("login"), {"username": researcher.email.upper(), "password": "pw-for-tests-1"})
    assert response.status_code == 302


def test_repeated_failed_logins_lock_the_account_with_a_429_page(client, researcher, settings, capsys):
    attempts = []
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        attempts.append(client.post(reverse("login"), {"username": researcher.email, "password": "wrong"}).status_code)
    assert attempts[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert attempts[-1] == 429
    locked = client.post(reverse("login"), {"username": researcher.email, "password": "pw-for-tests-1"})
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    with capsys.disabled():
        print(f"\n[login rate limit] statuses of {len(attempts)} wrong passwords: {attempts}; right password then: 429")


def casings(email: str):
    """The email with its letters' capitals changed, and with spaces around it."""
    local, domain = email.split("@")
    yield email.upper()
    yield f"  {email} "
    for n in range(len(local)):
        yield local[:n] + local[n].upper() + local[n + 1:] + "@" + domain.upper()


def post_login(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password}).status_code


def test_changing_the_emails_capitals_does_not_dodge_the_lock(researcher, settings, capsys):
    client = Client(REMOTE_ADDR="203.0.113.7")
    variants = list(itertools.islice(itertools.cycle(casings(researcher.email)), 40))
    tries = [post_login(client, variant, "wrong") for variant in variants]
    assert tries[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(tries[settings.AXES_FAILURE_LIMIT:]) == {429}
    assert post_login(client, researcher.email, "pw-for-tests-1") == 429
    with capsys.disabled():
        print(f"\n[login lock] {len(tries)} wrong passwords in {len(set(variants))} "
              f"casings from one address: {tries.count(200)} answered 200, {tries.count(429)} locked (429); right password then: 429")


def test_guesses_spread_over_addresses_lock_the_account_at_the_higher_threshold(researcher, settings, capsys):
    assert settings.AXES_ACCOUNT_FAILURE_LIMIT == 15
    tries = [post_login(Client(REMOTE_ADDR=f"198.51.100.{n % 4}"), researcher.email, "wrong") for n in range(16)]
    from_elsewhere = post_login(Client(REMOTE_ADDR="192.0.2.99"), researcher.email, "pw-for-tests-1")
    assert tries[:14] == [200] * 14 and tries[14:] == [429, 429]
    assert from_elsewhere == 429
    with capsys.disabled():
        print(f"\n[login lock] 16 wrong passwords over 4 addresses: statuses {tries}; right password from a fifth address: {from_elsewhere}")


def test_a_few_failures_from_other_addresses_do_not_lock_the_owner_out(researcher, settings):
    for n in range(settings.AXES_ACCOUNT_FAILURE_LIMIT - 1):  # under both limits on every address
        assert post_login(Client(REMOTE_ADDR=f"198.51.100.{n % 4}"), researcher.email.upper(), "wrong") == 200
    assert post_login(Client(REMOTE_ADDR="192.0.2.99"), researcher.email, "pw-for-tests-1") == 302


def test_log_lines_never_carry_a_token():
    token = "Xy3" * 15
    record = logging.LogRecord("django.server", logging.INFO, "", 0, '"GET /claim/%s/ HTTP/1.1" %s', (token, "200"), None)
    RedactTokensFilter().filter(record)
    assert token not in record.getMessage() and "/claim/[redacted]/" in record.getMessage()
