"""The W-9 a held incentive's claim page collects: the form with its TIN checked, the TIN sealed
and shown by its last four digits only, the payout waiting, the owners and admins told, and an
owner's acceptance (in the audit log) releasing every incentive of the participant held for it."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.crypto import unseal
from core.models import OutboundEmail
from incentives import tokens
from incentives.models import Incentive, W9Submission
from incentives.services import w9

from .test_tax import ada, big_budget, pay  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
GOOD = {
    "payout_method": "gift_card", "gift_card_email": "ada@example.test",
    "w9-legal_name": "Ada King Lovelace", "w9-tin_type": "ssn", "w9-tin": "123-45-6789",
    "w9-address": "12 St James's Square\nNew York, NY 10001", "w9-certified": "on",
}


@pytest.fixture
def held(big_budget, researcher, ada):  # noqa: F811
    pay(big_budget, researcher, ada, 199_000)
    incentive = pay(big_budget, researcher, ada, 5_000, claim=False)
    assert incentive.w9_hold
    return incentive


def claim_url(incentive):
    return reverse("incentives:claim", args=[tokens.claim_token(incentive.token_nonce)])


def test_the_claim_page_of_a_held_incentive_has_the_w9_form(client, held):
    page = client.get(claim_url(held)).content.decode()
    for name in ("w9-legal_name", "w9-tin_type", "w9-tin", "w9-address", "w9-certified"):
        assert f'name="{name}"' in page
    assert 'value="ssn"' in page and 'value="ein"' in page


def test_an_incentive_not_held_has_no_w9_form(client, big_budget, researcher, ada):  # noqa: F811
    incentive = pay(big_budget, researcher, ada, 5_000, claim=False)
    assert 'name="w9-tin"' not in client.get(claim_url(incentive)).content.decode()


def test_claiming_with_the_w9_seals_the_tin_keeps_the_hold_and_tells_owners_and_admins(client, held, owner, admin_user, researcher):
    page = client.post(claim_url(held), GOOD).content.decode()
    assert "You have claimed" in page and "Your W-9 is received." in page
    submission = W9Submission.objects.get()
    assert unseal(submission.tin_sealed) == {"tin": "123456789"} and submission.tin_last4 == "6789"
    assert submission.tin_masked == "SSN •••-••-6789" and "123456789" not in submission.tin_sealed
    held.refresh_from_db()
    assert held.status == Incentive.Status.CLAIMED and held.w9_hold is True  # the payout waits for the review
    told = set(OutboundEmail.objects.filter(purpose="w9_submitted").values_list("to_email", flat=True))
    assert told == {owner.email, admin_user.email}
    assert not any("6789" in e.text_body and "123-45" in e.text_body for e in OutboundEmail.objects.all())
    created = AuditEvent.objects.get(object_type="incentives.w9submission", action="created")
    assert created.after["tin_sealed"] == "[hidden]" and "123456789" not in str(created.after)


@pytest.mark.parametrize("tin_type, tin, message", [
    ("ssn", "000-12-3456", "is not an SSN the IRS issues"),
    ("ssn", "12345", "An SSN has nine digits, like 123-45-6789."),
    ("ein", "07-1234567", "is not an EIN the IRS issues"),
    ("ein", "12-34A6789", "An EIN has nine digits, like 12-3456789."),
])
def test_a_bad_tin_is_refused_on_the_page_and_nothing_is_claimed(client, held, tin_type, tin, message):
    response = client.post(claim_url(held), {**GOOD, "w9-tin_type": tin_type, "w9-tin": tin})
    assert response.status_code == 200 and message in response.content.decode()
    held.refresh_from_db()
    assert held.status == Incentive.Status.UNCLAIMED and not W9Submission.objects.exists()


def test_the_certification_must_be_ticked(client, held):
    data = {key: value for key, value in GOOD.items() if key != "w9-certified"}
    page = client.post(claim_url(held), data).content.decode()
    assert "Tick the certification" in page and not W9Submission.objects.exists()


def test_a_participant_who_claimed_first_gives_the_w9_on_the_links_status_page(client, big_budget, researcher, ada):  # noqa: F811
    pay(big_budget, researcher, ada, 199_000)
    claimed = pay(big_budget, researcher, ada, 5_000)
    url = claim_url(claimed)
    assert 'name="w9-tin"' in client.get(url).content.decode()
    page = client.post(url, {key: value for key, value in GOOD.items() if key.startswith("w9-")}).content.decode()
    assert "Your W-9 is received." in page and 'name="w9-tin"' not in page
    assert W9Submission.objects.get().incentive == claimed


def test_accepting_the_w9_releases_every_held_incentive_of_the_participant_with_audit(client, client_for, held, owner, big_budget, researcher, ada):  # noqa: F811
    other = pay(big_budget, researcher, ada, 1_000, claim=False)
    assert other.w9_hold
    client.post(claim_url(held), GOOD)
    submission = W9Submission.objects.get()
    tax_page = client_for(owner).get(reverse("budgets:tax")).content.decode()
    assert "SSN •••-••-6789" in tax_page and "123-45-6789" not in tax_page and "Accept W-9" in tax_page
    page = client_for(owner).post(reverse("budgets:w9_accept", args=[submission.pk]), follow=True).content.decode()
    assert "W-9 of Ada Lovelace accepted; 2 held incentives may be paid out." in page
    assert not Incentive.objects.filter(participant=ada, w9_hold=True).exists()
    ada.refresh_from_db()
    submission.refresh_from_db()
    assert ada.w9_submitted_at and submission.status == "accepted" and submission.reviewed_by == owner
    accepted = AuditEvent.objects.get(object_type="incentives.w9submission", action="accepted")
    assert accepted.actor == owner.email and accepted.parent_id == held.pk
    assert w9.w9_accept(submission=submission, actor=owner) == 0  # twice is once


def test_only_owners_and_admins_accept_and_another_organizations_w9_is_not_found(client, client_for, held, researcher, outsider):
    client.post(claim_url(held), GOOD)
    submission = W9Submission.objects.get()
    assert client_for(researcher).post(reverse("budgets:w9_accept", args=[submission.pk])).status_code == 403
    assert client_for(outsider).post(reverse("budgets:w9_accept", args=[submission.pk])).status_code == 404
    submission.refresh_from_db()
    assert submission.status == "submitted"
