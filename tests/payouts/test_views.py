"""The Payouts page, a batch's page and the claim page's payout parts, through the client."""

import re
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incentives.emails import incentive_claim_url
from incentives.models import Incentive
from incentives.services import incentive_cancel
from payouts import services
from payouts.models import Payout, PayoutBatch

from ..incentives.helpers import send_to
from .conftest import claimed, payout_of

pytestmark = pytest.mark.django_db
LIST = reverse("payouts:list")


def once_key(page: str) -> str:
    return re.search(r'name="once" value="([0-9a-f]{32})"', page).group(1)


@pytest.mark.parametrize("role", ["owner", "admin_user", "finance"])
def test_owners_admins_and_finance_see_what_is_owed(request, client_for, role, usd_study, owner):
    claimed(usd_study, 2, "gift_card", actor=owner)
    page = client_for(request.getfixturevalue(role)).get(LIST).content.decode()
    assert "Gift card" in page and "$50.00" in page and "Make a batch" in page


@pytest.mark.parametrize("role", ["researcher", "viewer"])
def test_researchers_and_viewers_may_not_work_with_payouts(request, client_for, role, usd_study, owner):
    client = client_for(request.getfixturevalue(role))
    assert client.get(LIST).status_code == 403
    response = client.post(reverse("payouts:batch_create"), {"method": "gift_card", "currency": "USD"})
    assert response.status_code == 403 and not PayoutBatch.objects.exists()
    assert "Payouts</a>" not in client.get(reverse("budgets:list")).content.decode()


def test_another_organizations_batches_and_payouts_are_404(client_for, outsider, usd_study, owner, finance):
    incentive = claimed(usd_study, 1, "gift_card", actor=owner)[0]
    batch = services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    client = client_for(outsider)
    assert client.get(reverse("payouts:batch_detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("payouts:batch_download", args=[batch.pk])).status_code == 404
    assert client.post(reverse("payouts:batch_mark_sent", args=[batch.pk])).status_code == 404
    assert client.post(reverse("payouts:payout_mark_failed", args=[payout_of(incentive).pk]), {"reason": "x"}).status_code == 404
    assert "$25.00" not in client.get(LIST).content.decode()


def test_a_batch_form_posted_twice_makes_one_batch(client_for, finance, usd_study, owner):
    claimed(usd_study, 3, "gift_card", actor=owner)
    client = client_for(finance)
    form = {"method": "gift_card", "currency": "USD", "once": once_key(client.get(LIST).content.decode())}
    first = client.post(reverse("payouts:batch_create"), form, follow=True).content.decode()
    second = client.post(reverse("payouts:batch_create"), form, follow=True).content.decode()
    assert "3 payouts, $75.00" in first and "Done already, once" in second
    assert PayoutBatch.objects.count() == 1 and Payout.objects.count() == 3


def test_nothing_owed_is_said_and_makes_no_batch(client_for, finance, usd_study):
    page = client_for(finance).post(reverse("payouts:batch_create"), {"method": "charity", "currency": "USD"}, follow=True)
    assert "Nothing is owed by charity donation in USD" in page.content.decode() and not PayoutBatch.objects.exists()


def test_the_files_download_and_hold_the_details_the_page_masks(client_for, finance, eur_study, usd_study, owner):
    claimed(eur_study, 2, "bank_transfer", actor=owner)
    claimed(usd_study, 2, "charity", actor=owner)
    sepa = services.payout_batch_create(organization=eur_study.organization, method="bank_transfer", currency="EUR", actor=finance)
    charity = services.payout_batch_create(organization=usd_study.organization, method="charity", currency="USD", actor=finance)
    client = client_for(finance)
    page = client.get(reverse("payouts:batch_detail", args=[sepa.pk])).content.decode()
    assert "DE89 •••• 3000" in page and "DE89370400440532013000" not in page
    response = client.get(reverse("payouts:batch_download", args=[sepa.pk]))
    assert response["Content-Type"] == "application/xml" and b"DE89370400440532013000" in response.content
    assert response["Cache-Control"] == "no-store"
    page = client.get(reverse("payouts:batch_detail", args=[charity.pk])).content.decode()
    assert "CSV for Doctors Without Borders" in page and "CSV for Red Cross" in page
    csv = client.get(reverse("payouts:batch_download_file", args=[charity.pk, 2])).content.decode()
    assert csv.splitlines()[1].startswith("Red Cross,")
    assert client.get(reverse("payouts:batch_download_file", args=[charity.pk, 3])).status_code == 404


def test_marking_sent_twice_pays_once_and_a_failure_needs_a_reason(client_for, finance, usd_study, owner):
    incentive = claimed(usd_study, 1, "gift_card", actor=owner)[0]
    batch = services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    client = client_for(finance)
    sent = reverse("payouts:batch_mark_sent", args=[batch.pk])
    assert "marked sent: its payouts are paid out" in client.post(sent, follow=True).content.decode()
    assert "nothing was paid twice" in client.post(sent, follow=True).content.decode()
    failed = reverse("payouts:payout_mark_failed", args=[payout_of(incentive).pk])
    assert "Write the bank&#x27;s reason" in client.post(failed, {"reason": ""}, follow=True).content.decode()
    page = client.post(failed, {"reason": "Bounced"}, follow=True).content.decode()
    assert f"Payout {payout_of(incentive).pk} marked returned;" in page and "is asked by email" in page
    assert "had been marked returned already" in client.post(failed, {"reason": "Bounced"}, follow=True).content.decode()
    assert Incentive.objects.get(pk=incentive.pk).payout_status == "returned"


def test_a_payout_refused_before_it_was_sent_is_said_failed_and_a_batch_of_one_is_one_payout(client_for, finance, usd_study, owner):
    incentive = claimed(usd_study, 1, "gift_card", actor=owner)[0]
    client = client_for(finance)
    made = client.post(reverse("payouts:batch_create"), {"method": "gift_card", "currency": "USD"}, follow=True).content.decode()
    assert "made: 1 payout, $25.00" in made
    failed = reverse("payouts:payout_mark_failed", args=[payout_of(incentive).pk])
    assert f"Payout {payout_of(incentive).pk} marked failed;" in client.post(failed, {"reason": "Bounced"}, follow=True).content.decode()


def test_the_payouts_page_and_a_batch_page_do_a_constant_number_of_queries(client_for, finance, usd_study, eur_study, owner):
    claimed(usd_study, 1, "gift_card", actor=owner)
    batch = services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    client = client_for(finance)

    def queries(url):
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context)

    detail = reverse("payouts:batch_detail", args=[batch.pk])
    few = queries(LIST), queries(detail)
    claimed(usd_study, 5, "gift_card", actor=owner, start=10)
    claimed(eur_study, 5, "bank_transfer", actor=owner)
    services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    services.payout_batch_create(organization=eur_study.organization, method="bank_transfer", currency="EUR", actor=finance)
    claimed(usd_study, 4, "charity", actor=owner, start=20)
    Payout.objects.filter(batch__currency="USD").update(batch=batch)  # the first batch now holds six payouts
    assert (queries(LIST), queries(detail)) == few
    assert client.get(detail).content.decode().count('class="badge badge-pending"') == 6


def test_the_budget_page_counts_claimed_not_paid_paid_and_failed(client_for, owner, finance, usd_study):
    first, second, third = claimed(usd_study, 3, "gift_card", actor=owner)
    batch = services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    services.payout_batch_mark_sent(batch=batch, actor=finance)
    services.payout_mark_failed(payout=payout_of(first), reason="Bounced", actor=finance)
    claimed(usd_study, 1, "gift_card", actor=owner, start=9)
    for url in (reverse("budgets:detail", args=[usd_study.budget_id]), reverse("studies:detail", args=[usd_study.pk])):
        page = client_for(owner).get(url).content.decode()
        assert 'id="payouts-owed">$25.00<' in page and 'id="payouts-paid">$50.00<' in page and 'id="payouts-failed">$25.00<' in page


def test_the_recipients_table_has_a_payout_column_filter_and_export(client_for, owner, finance, usd_study):
    paid, owed = claimed(usd_study, 2, "gift_card", actor=owner)
    batch = services.payout_batch_create(organization=usd_study.organization, method="gift_card", currency="USD", actor=finance)
    services.payout_mark_failed(payout=payout_of(owed), reason="Bounced", actor=finance)
    services.payout_batch_mark_sent(batch=batch, actor=finance)
    client = client_for(owner)
    page = client.get(reverse("recipients:list"), {"payout": "paid", "columns": "participant,payout"}).content.decode()
    assert paid.participant.name in page and owed.participant.name not in page
    export = b"".join(client.get(reverse("recipients:list"), {"payout": "returned", "export": "csv"}).streaming_content).decode()
    assert owed.participant.name in export and paid.participant.name not in export


def test_the_claim_page_shows_only_the_chosen_methods_fields_and_when_it_arrives(client, usd_study, owner):
    incentive = send_to(usd_study, 1, actor=owner)[0]
    page = client.get(urlparse(incentive_claim_url(incentive.pk)).path).content.decode()
    fieldsets = re.findall(r'<fieldset data-payout-method="(\w+)"\s*(hidden disabled)?>', page)
    assert fieldsets == [("gift_card", ""), ("bank_transfer", "hidden disabled"), ("charity", "hidden disabled")]
    assert "reaches you within 7 days" in page


def test_a_bad_iban_on_the_claim_page_is_refused_with_a_message_and_nothing_changes(client, eur_study, owner):
    incentive = send_to(eur_study, 1, actor=owner, amount_minor=2_000)[0]
    response = client.post(urlparse(incentive_claim_url(incentive.pk)).path,
                           {"payout_method": "bank_transfer", "account_holder": "Ada", "iban": "DE89 3704 0044 0532 0130 01"})
    page = response.content.decode()
    assert response.status_code == 200 and "This IBAN is not valid" in page
    assert '<fieldset data-payout-method="bank_transfer" >' in page  # the chosen method's fields stay shown
    assert Incentive.objects.get(pk=incentive.pk).status == "unclaimed"


def test_a_cancelled_link_says_whom_to_contact(client, usd_study, owner):
    incentive = send_to(usd_study, 1, actor=owner)[0]
    incentive_cancel(incentive=incentive, actor=owner)
    response = client.get(urlparse(incentive_claim_url(incentive.pk)).path)
    assert response.status_code == 410 and "contact them at research@acme.test" in response.content.decode()


def test_the_api_says_where_a_claimed_incentives_money_is_masked(client, usd_study, owner, finance):
    from tenancy.services import api_key_create

    incentive = claimed(usd_study, 1, "bank_transfer", actor=owner)[0]
    batch = services.payout_batch_create(organization=usd_study.organization, method="bank_transfer", currency="USD", actor=finance)
    services.payout_batch_mark_sent(batch=batch, actor=finance)
    _, key = api_key_create(organization=usd_study.organization, name="Books", actor=owner)
    body = client.get("/api/v1/incentives", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    item = next(item for item in body["items"] if item["id"] == incentive.pk)
    assert item["payout_status"] == "paid" and item["payout_method"] == "bank_transfer" and item["payout_sent_at"]
    assert item["payout_to"].startswith("bank transfer to 0001 ••••") and "00012" not in item["payout_to"][20:]
