"""People are in the log too: a user's own row (once per organization they belong to, their
password hidden), their membership's role, and who owns a study, in the study's history."""

from django.urls import reverse

from audit.models import AuditEvent
from tenancy.models import Membership, User

from ..factories import make_budget
from ..incentives.factories_recipients import make_incentives
from ..studies.factories import make_study


def test_a_users_change_is_logged_once_in_each_of_their_organizations(organization, other_organization, owner):
    Membership.objects.create(user=owner, organization=other_organization, role=Membership.Role.VIEWER)
    User.objects.filter(pk=owner.pk).update(name="Grace Hopper", is_active=False)
    events = AuditEvent.objects.filter(object_type="tenancy.user", object_id=owner.pk, action="updated")
    assert sorted(events.values_list("organization_id", flat=True)) == sorted([organization.pk, other_organization.pk])
    assert all(e.after == {"name": "Grace Hopper", "is_active": False} for e in events)


def test_a_users_password_is_hidden_and_a_login_alone_is_no_event(organization, owner):
    owner.set_password("a new secret phrase")
    owner.save(update_fields=["password"])
    (changed,) = AuditEvent.objects.filter(object_type="tenancy.user", object_id=owner.pk)
    assert changed.after == {"password": "[hidden]"} and changed.before == {"password": "[hidden]"}
    from django.utils import timezone

    User.objects.filter(pk=owner.pk).update(last_login=timezone.now())
    assert AuditEvent.objects.filter(object_type="tenancy.user", object_id=owner.pk).count() == 1


def test_a_membership_role_change_is_logged_with_before_and_after(organization, researcher):
    membership = Membership.objects.get(user=researcher, organization=organization)
    Membership.objects.filter(pk=membership.pk).update(role=Membership.Role.ADMIN)
    event = AuditEvent.objects.filter(object_type="tenancy.membership", object_id=membership.pk).latest("id")
    assert (event.action, event.before, event.after) == ("updated", {"role": "researcher"}, {"role": "admin"})


def test_study_owners_added_and_removed_are_in_the_studys_history(organization, owner, researcher, admin_user):
    study = make_study(budget=make_budget(organization, name="Panel", actor=owner), owner=researcher)
    study.owners.add(admin_user)
    study.owners.remove(researcher)
    rows = AuditEvent.objects.filter(object_type="studies.study_owners", parent_type="studies.study", parent_id=study.pk).order_by("id")
    assert [(e.action, (e.after or e.before)["user_id"]) for e in rows] == [
        ("created", researcher.pk), ("created", admin_user.pk), ("deleted", researcher.pk)
    ]
    assert {e.organization_id for e in rows} == {organization.pk}


def test_an_incentives_page_links_to_its_own_history(client_for, owner, study):
    (incentive,) = make_incentives(study, 1, names=["Ada Lovelace"])
    page = client_for(owner).get(reverse("recipients:detail", args=[incentive.pk])).content.decode()
    link = f"{reverse('audit:list')}?object=incentives.incentive%3A{incentive.pk}"
    assert f'href="{link}"' in page
    history = client_for(owner).get(link).content.decode()
    assert f"Incentive #{incentive.pk}" in history
