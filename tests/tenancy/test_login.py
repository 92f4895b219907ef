import logging

import pytest
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


def test_log_lines_never_carry_a_token():
    token = "Xy3" * 15
    record = logging.LogRecord("django.server", logging.INFO, "", 0, '"GET /claim/%s/ HTTP/1.1" %s', (token, "200"), None)
    RedactTokensFilter().filter(record)
    assert token not in record.getMessage() and "/claim/[redacted]/" in record.getMessage()
