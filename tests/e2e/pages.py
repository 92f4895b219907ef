"""The main pages of the three areas, as URLs on the demo data (for axe, layout and screenshots)."""

from budgets.models import Budget
from offers.models import Offer
from rewards.models import Advocate
from studies.models import Study
from tenancy.models import Organization

from ..reliability.test_tokens import working_tokens


def main_pages() -> dict[str, str]:
    """name -> path of the pages a person of the demo's Acme uses most, the public ones too."""
    acme = Organization.objects.get(slug="acme")
    study = Study.objects.for_org(acme).get(name="Onboarding interviews")
    budget = Budget.objects.for_org(acme).get(name="Customer interviews 2026")
    offer = Offer.objects.for_org(acme).order_by("pk").first()
    advocate = Advocate.objects.for_org(acme).order_by("pk").first()
    tokens = working_tokens(acme)
    pages = {
        "studies": "/studies/",
        "study": f"/studies/{study.pk}/",
        "budgets": "/incentives/",
        "recipients": "/incentives/recipients/",
        "budget": f"/incentives/budgets/{budget.pk}/",
        "offers": "/provider/incentive-offers/",
        "offer": f"/provider/incentive-offers/{offer.pk}/",
        "link-templates": "/provider/incentive-offers/link-templates/",
        "reward-participants": "/rewards/",
        "reward-profile": f"/rewards/participants/{advocate.pk}/",
        "api-docs": "/api/v1/docs",
        "settings": "/settings/",
        "claim": f"/claim/{tokens['claim'][0]}/",
        "recipient-offer": f"/offer/{tokens['offer'][0]}/",
    }
    return pages
