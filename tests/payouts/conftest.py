import pytest

from incentives.services import incentive_claim
from payouts.models import Payout
from tenancy.models import Membership

from ..factories import make_budget, member
from ..incentives.helpers import send_to
from ..studies.factories import make_study

# Valid test IBANs (their checksums hold), in the SEPA zone.
IBANS = ["DE89370400440532013000", "FR7630006000011234567890189", "NL91ABNA0417164300", "BE68539007547034"]


@pytest.fixture
def finance(organization):
    return member(organization, Membership.Role.FINANCE)


@pytest.fixture
def sepa_org(organization):
    organization.sepa_debtor_name, organization.sepa_debtor_iban = "Acme Research", "DE02120300000000202051"
    organization.sepa_debtor_bic, organization.reply_to_email = "BYLADEM1001", "research@acme.test"
    organization.save()
    return organization


@pytest.fixture
def eur_study(sepa_org, owner, researcher):
    budget = make_budget(sepa_org, name="EU panel", currency="EUR", funds_minor=1_000_000, actor=owner)
    return make_study(budget=budget, owner=researcher, name="EU interviews", amount_minor=2_000)


@pytest.fixture
def usd_study(sepa_org, owner, researcher):
    budget = make_budget(sepa_org, name="US panel", currency="USD", funds_minor=1_000_000, actor=owner)
    return make_study(budget=budget, owner=researcher, name="US interviews", amount_minor=2_500)


def details_for(method: str, number: int, currency: str) -> dict:
    if method == "bank_transfer":
        if currency == "EUR":
            return {"account_holder": f"Person {number}", "iban": IBANS[number % len(IBANS)]}
        return {"account_holder": f"Person {number}", "iban": f"00012{number:05d}", "bic": "CHASUS33"}
    if method == "gift_card":
        return {"gift_card_email": f"person{number}@example.test"}
    return {"charity_name": ["Doctors Without Borders", "Red Cross"][number % 2]}


def claimed(study, count, method, *, actor, start=0):
    """`count` incentives of the study, sent and claimed by `method`."""
    incentives = send_to(study, count, actor=actor, amount_minor=study.incentive_amount_minor)
    return [
        incentive_claim(incentive=incentive, payout_method=method, payout_details=details_for(method, start + n, study.currency))
        for n, incentive in enumerate(incentives)
    ]


def payout_of(incentive) -> Payout:
    return Payout.objects.filter(incentive=incentive).order_by("-pk").first()
