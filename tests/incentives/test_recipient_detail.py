"""An incentive's page with its emails (issue 14, item 11): whoever sees the incentive sees
them, failures with the mail server's answer; another organization's incentive is a 404."""

from django.urls import reverse

from core.models import OutboundEmail

from .factories_recipients import make_incentives


def email(incentive, **fields):
    return OutboundEmail.objects.create(
        organization=incentive.organization, purpose="incentive_claim", reference=incentive.reference,
        from_name="Acme", to_email=incentive.participant.email, subject=fields.pop("subject", "Thank you"), text_body="…", **fields,
    )


def test_a_researcher_sees_each_email_of_an_incentive_with_the_failure_reason(client_for, researcher, study):
    (incentive,) = make_incentives(study, 1, names=["Ada Lovelace"])
    email(incentive, subject="Thank you for taking part", status="sent")
    email(incentive, subject="Reminder: thank you", status="failed", last_error="550 5.1.1 mailbox unavailable")
    body = client_for(researcher).get(reverse("recipients:detail", args=[incentive.pk])).content.decode()
    assert "Thank you for taking part" in body and "Reminder: thank you" in body
    assert "Not delivered: 550 5.1.1 mailbox unavailable" in body


def test_a_viewer_sees_the_emails_too(client_for, viewer, study):
    (incentive,) = make_incentives(study, 1)
    email(incentive, subject="Thank you for taking part", status="sent")
    response = client_for(viewer).get(reverse("recipients:detail", args=[incentive.pk]))
    assert response.status_code == 200 and "Thank you for taking part" in response.content.decode()


def test_the_recipients_row_links_to_the_incentives_page(client_for, researcher, study):
    (incentive,) = make_incentives(study, 1, names=["Ada Lovelace"])
    body = client_for(researcher).get(reverse("recipients:list")).content.decode()
    assert f'href="{reverse("recipients:detail", args=[incentive.pk])}">Ada Lovelace</a>' in body


def test_another_organizations_incentive_is_not_found(client_for, outsider, study):
    (incentive,) = make_incentives(study, 1)
    assert client_for(outsider).get(reverse("recipients:detail", args=[incentive.pk])).status_code == 404
