import pytest

from .factories import make_study


@pytest.fixture
def study(budget, researcher):
    """A study owned by the researcher, paying $25.00 from the $1,000.00 budget."""
    return make_study(budget=budget, owner=researcher, name="Onboarding interviews")
