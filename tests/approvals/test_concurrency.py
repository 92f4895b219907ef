"""Two approvals of the same request at the same moment: the payment runs once."""

import threading

import pytest
from django.db import connection

from approvals.models import Approval
from approvals.services import approval_approve
from core.errors import DomainError
from core.models import OutboundEmail
from incentives.models import Incentive

from ..incentives.helpers import send_to

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_approvals_send_once(thresholds, study, researcher, owner, admin_user):
    send_to(study, 5, actor=researcher)
    approval = Approval.objects.get()
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(actor):
        try:
            barrier.wait()
            approval_approve(approval=Approval.objects.get(pk=approval.pk), actor=actor)
            outcomes.append("approved")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(actor,)) for actor in (owner, admin_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_approved", "approved"]
    assert OutboundEmail.objects.filter(purpose="incentive_claim").count() == 5
    assert OutboundEmail.objects.filter(purpose="approval_approved").count() == 1
    assert set(Incentive.objects.values_list("status", flat=True)) == {"unclaimed"}
