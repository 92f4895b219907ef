"""Studies and participants for tests; the organization always comes from the study or is passed."""

import itertools

from core.money import Money
from studies.models import Participant, StudyParticipant
from studies.services import study_create

_numbers = itertools.count(1)


def make_study(*, budget, owner, name=None, amount_minor=2_500, owners=()):
    return study_create(
        organization=budget.organization,
        name=name or f"Study {next(_numbers)}",
        budget=budget,
        amount=Money(amount_minor, budget.currency),
        actor=owner,
        owners=owners,
    )


def add_participants(study, count, status=StudyParticipant.Status.INCENTIVE_NOT_SENT, prefix="p"):
    """`count` participants in the study with this status, created in one go."""
    start = next(_numbers) * 10_000
    people = Participant.objects.bulk_create(
        Participant(organization=study.organization, name=f"Person {prefix}{start + i}", email=f"{prefix}{start + i}@example.test")
        for i in range(count)
    )
    StudyParticipant.objects.bulk_create(
        StudyParticipant(organization=study.organization, study=study, participant=person, status=status) for person in people
    )
    return people
