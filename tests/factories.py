"""factory_boy factories; the organization is always passed or made explicitly."""

import itertools

import factory

from budgets.services import budget_create, budget_fund
from core.money import Money
from tenancy.models import Membership, Organization, User


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")


def member(organization, role, **kwargs) -> User:
    user = UserFactory(**kwargs)
    user.save()
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


_budget_numbers = itertools.count(1)


def make_budget(organization, *, name=None, currency="USD", funds_minor=0, actor=None):
    budget = budget_create(
        organization=organization,
        name=name or f"Budget {next(_budget_numbers)}",
        currency=currency,
    )
    if funds_minor:
        budget_fund(budget=budget, amount=Money(funds_minor, currency), actor=actor)
    return budget
