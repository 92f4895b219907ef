"""A study's lifecycle where it touches incentives: closing expires what may no longer be claimed.

Locks are taken in one order by every service that pays from a study: the study row, then
its participants, then the ledger accounts. A send waits for a close in flight (and then sees
the study closed), and a close waits for a send in flight (and then expires what it sent).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from studies.models import Study
from studies.services import require_study_manager

from ..models import Incentive
from . import study_lock
from .bulk import incentives_expire_for_study


@transaction.atomic
def study_close(*, study: Study, actor) -> Study:
    """Close an open study. Unless the organization allows claims after a study closes, its
    unclaimed incentives expire now and their money returns to the budget. Closing a closed
    study changes nothing (a second click, a retried request)."""
    require_study_manager(study=study, user=actor)
    locked = study_lock(study)
    if locked.status == Study.Status.OPEN:
        locked.status, locked.closed_at = Study.Status.CLOSED, timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        if not locked.organization.claims_allowed_after_study_closes:
            incentives_expire_for_study(study=locked, actor=actor)
    study.refresh_from_db()
    return study


@transaction.atomic
def study_reopen(*, study: Study, actor) -> Study:
    """Open a closed study again; incentives it expired stay expired. Reopening an open study
    changes nothing."""
    require_study_manager(study=study, user=actor)
    locked = study_lock(study)
    if locked.status != Study.Status.OPEN:
        locked.status, locked.closed_at = Study.Status.OPEN, None
        locked.save(update_fields=["status", "closed_at"])
    study.refresh_from_db()
    return study


def claims_after_close_switched_off(*, organization, changed, actor, **_) -> str | None:
    """Receiver of tenancy's organization_policy_changed, in its transaction: when claims after
    a study closes are no longer allowed, the unclaimed incentives of closed studies expire now
    and their money returns to the budgets, as closing the study would have done."""
    if changed.get("claims_allowed_after_study_closes") != (True, False):
        return None
    closed = Study.objects.for_org(organization).filter(
        status=Study.Status.CLOSED,
        pk__in=Incentive.objects.for_org(organization).unclaimed().values("study_id"),
    )
    expired = 0
    for study in closed.order_by("pk"):
        expired += incentives_expire_for_study(study=study_lock(study), actor=actor)
    if not expired:
        return None
    return ngettext(
        "%(count)s unclaimed incentive of closed studies expired; their money is back in the budgets.",
        "%(count)s unclaimed incentives of closed studies expired; their money is back in the budgets.", expired,
    ) % {"count": expired}
