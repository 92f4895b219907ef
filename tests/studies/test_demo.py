import os

import pytest
from django.core.management import call_command

from incentives.models import Incentive
from studies.models import Study, StudyParticipant

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_studies_in_every_status_and_is_idempotent():
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
        counts = (Study.objects.count(), StudyParticipant.objects.count(), Incentive.objects.count())
        call_command("seed_demo", stdout=quiet)
    assert (Study.objects.count(), StudyParticipant.objects.count(), Incentive.objects.count()) == counts
    assert set(StudyParticipant.objects.values_list("status", flat=True)) == set(StudyParticipant.Status.values)
    assert set(Incentive.objects.values_list("status", flat=True)) >= {"unclaimed", "claimed", "cancelled"}
    assert Study.objects.filter(owners__email="researcher@acme.test").exists()
    call_command("verify_ledger")
