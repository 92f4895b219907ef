from core.money import Money

from .models import Budget
from .services import budget_create, budget_fund

BUDGETS = [
    ("acme", "Customer interviews 2026", "USD", 500_000),
    ("acme", "EU usability tests", "EUR", 200_000),
    ("globex", "Globex panel", "USD", 100_000),
]


def seed(demo, stdout):
    demo.budgets = {}
    for slug, name, currency, funds in BUDGETS:
        organization = demo.orgs[slug]
        budget = Budget.objects.for_org(organization).filter(name=name).first()
        if budget is None:
            budget = budget_create(organization=organization, name=name, currency=currency)
            owner = demo.users["owner@acme.test" if slug == "acme" else "owner@globex.test"]
            budget_fund(budget=budget, amount=Money(funds, currency), actor=owner, memo="Demo funding")
        demo.budgets[name] = budget
