import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import services, tasks, tokens
from core.models import OutboundEmail

pytestmark = pytest.mark.django_db


def queue(organization, **overrides):
    fields = dict(
        organization=organization,
        purpose="test",
        reference="test:1",
        to_email="pat@example.test",
        to_name="Pat",
        subject="Thanks",
        text_body="Claim at http://example.test/claim/x/",
        html_body="<p>Claim</p>",
    )
    return services.outbound_email_queue(**{**fields, **overrides})


def test_queued_email_is_delivered_once_after_commit(organization, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = queue(organization)
    assert len(callbacks) == 1
    email.refresh_from_db()
    assert email.status == "sent" and email.sent_at and email.attempts == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].from_email == f"{organization.name} <incentives@example.com>"


def test_running_the_delivery_task_twice_sends_one_email(organization, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(organization)
    tasks.outbound_email_deliver.delay(email.pk)
    assert len(mail.outbox) == 1


def test_nothing_is_enqueued_when_the_transaction_rolls_back(organization, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                queue(organization)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == [] and OutboundEmail.objects.count() == 0


def test_header_injection_in_names_and_subjects_adds_no_recipient(organization, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue(organization, to_name="Pat\r\nBcc: evil@example.test", subject="Hi\nBcc: evil@example.test")
    message = mail.outbox[0]
    headers = message.message()
    assert headers["Bcc"] is None and headers["Cc"] is None
    assert len(message.recipients()) == 1 and message.recipients()[0].endswith("<pat@example.test>")
    assert headers["Subject"] == "Hi Bcc: evil@example.test"


def test_a_permanent_smtp_error_marks_the_email_failed(organization):
    email = OutboundEmail.objects.create(organization=organization, purpose="t", from_name="A", to_email="x@example.test", subject="s", text_body="b")
    refusal = smtplib.SMTPDataError(550, b"mailbox unavailable")
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=refusal):
        assert services.outbound_email_deliver(email_id=email.pk) == "failed"
    email.refresh_from_db()
    assert email.status == "failed" and email.last_error.startswith("550")


def test_a_temporary_smtp_error_is_retried_then_marked_failed_on_the_last_attempt(organization):
    email = OutboundEmail.objects.create(organization=organization, purpose="t", from_name="A", to_email="x@example.test", subject="s", text_body="b")
    busy = smtplib.SMTPDataError(451, b"try later")
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=busy):
        with pytest.raises(services.TemporaryEmailFailure) as failure:
            services.outbound_email_deliver(email_id=email.pk, attempt=0)
        email.refresh_from_db()
        assert email.status == "pending" and email.attempts == 1 == failure.value.attempts
        assert email.next_attempt_at > timezone.now() + timedelta(seconds=2)  # waits out the backoff
        OutboundEmail.objects.filter(pk=email.pk).update(attempts=services.MAX_ATTEMPTS - 1)
        assert services.outbound_email_deliver(email_id=email.pk, attempt=services.MAX_ATTEMPTS - 1) == "failed"


def test_a_copy_of_the_task_for_a_try_already_made_does_nothing(organization):
    email = OutboundEmail.objects.create(organization=organization, purpose="t", from_name="A", to_email="x@example.test", subject="s", text_body="b", attempts=2)
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages") as send:
        assert services.outbound_email_deliver(email_id=email.pk, attempt=1) == "pending"
    assert not send.called
    email.refresh_from_db()
    assert email.attempts == 2


def test_the_sweep_takes_only_emails_overdue_and_not_those_waiting_out_a_backoff(organization):
    def make(**fields):
        return OutboundEmail.objects.create(organization=organization, purpose="t", from_name="A", to_email="x@example.test", subject="s", text_body="b", **fields)

    now = timezone.now()
    lost = make(next_attempt_at=now - timedelta(minutes=5), attempts=3)
    make(next_attempt_at=now - timedelta(seconds=30))  # its task may still be on its way
    make(next_attempt_at=now + timedelta(minutes=8), attempts=6)  # waiting out a backoff
    make(next_attempt_at=now - timedelta(hours=1), status="sent")
    assert services.outbound_emails_due() == [(lost.pk, 3)]
    assert services.outbound_emails_due() == []  # taken: left to its task for another minute


def test_the_outbox_page_lists_only_this_organizations_emails(client_for, owner, organization, other_organization):
    OutboundEmail.objects.create(organization=organization, purpose="t", from_name="A", to_email="ours@example.test", subject="Ours", text_body="b")
    theirs = OutboundEmail.objects.create(organization=other_organization, purpose="t", from_name="B", to_email="theirs@example.test", subject="Theirs", text_body="b")
    client = client_for(owner)
    page = client.get(reverse("core:outbox")).content.decode()
    assert "Ours" in page and "Theirs" not in page
    assert client.get(reverse("core:outbox_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("core:outbox_html", args=[theirs.pk])).status_code == 404


@pytest.mark.parametrize("emails", [2, 60])
def test_the_outbox_page_makes_a_constant_number_of_queries(client_for, owner, organization, emails, django_assert_num_queries):
    OutboundEmail.objects.bulk_create(
        OutboundEmail(organization=organization, purpose="t", from_name="A", to_email=f"p{n}@example.test", subject=f"Listed {n}", text_body="b")
        for n in range(emails)
    )
    client = client_for(owner)
    # session, user, membership, saved columns, the page of emails, beat's banner, the approvals badge
    with django_assert_num_queries(7):
        page = client.get(reverse("core:outbox")).content.decode()
    assert page.count(">Listed ") == min(emails, 50)


def test_researchers_cannot_read_the_outbox(client_for, researcher):
    assert client_for(researcher).get(reverse("core:outbox")).status_code == 403


@pytest.fixture
def sample_link(monkeypatch):
    """A secret-link kind of this test: object 7's link is SECRET_URL."""
    monkeypatch.setitem(tokens._resolvers, "test-link", lambda pk: f"https://example.test/secret/{pk}/")
    return tokens.secret_link_ref("test-link", 7)


@pytest.mark.smoke
def test_a_personal_link_is_put_in_only_when_the_email_is_handed_to_the_mail_server(
    organization, owner, client_for, sample_link, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(organization, text_body=f"Open {tokens.PLACEHOLDER}", html_body=f'<a href="{tokens.PLACEHOLDER}">Open</a>', secret_link=sample_link)
    email.refresh_from_db()
    sent = mail.outbox[0]
    assert sent.body == "Open https://example.test/secret/7/"
    assert sent.alternatives[0][0] == '<a href="https://example.test/secret/7/">Open</a>'
    assert "secret" not in email.text_body + email.html_body and email.status == "sent"
    page = client_for(owner).get(reverse("core:outbox_detail", args=[email.pk])).content.decode()
    assert "[personal link, not stored]" in page and "example.test/secret" not in page


def test_in_development_the_outbox_shows_the_personal_link_as_sent(organization, owner, client_for, sample_link, settings):
    email = queue(organization, text_body=f"Open {tokens.PLACEHOLDER}", secret_link=sample_link)
    settings.DEBUG = True
    page = client_for(owner).get(reverse("core:outbox_detail", args=[email.pk])).content.decode()
    assert "https://example.test/secret/7/" in page and "development only" in page


@pytest.mark.parametrize("url_name", ["core:outbox_detail", "core:outbox_html"])
def test_an_outbox_email_showing_its_personal_link_is_never_cached(organization, owner, client_for, sample_link, settings, url_name):
    email = queue(organization, text_body=f"Open {tokens.PLACEHOLDER}", html_body=f"<p>{tokens.PLACEHOLDER}</p>", secret_link=sample_link)
    settings.DEBUG = True
    response = client_for(owner).get(reverse(url_name, args=[email.pk]))
    if url_name == "core:outbox_detail":  # the text as sent; the framed HTML part keeps the placeholder
        assert "https://example.test/secret/7/" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_a_secret_link_of_an_unregistered_kind_is_refused_when_queued():
    with pytest.raises(LookupError):
        tokens.secret_link_ref("no-such-kind", 1)
