"""The log itself: written by the database in the change's transaction, append-only, showing
what changed and hiding secrets."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from audit.models import AuditEvent
from studies.models import Participant
from tenancy.services import api_key_create


def events_of(obj, pk=None):
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=pk or obj.pk).order_by("id")


def test_a_change_is_logged_in_its_own_transaction(organization):
    with transaction.atomic():
        person = Participant.objects.create(organization=organization, name="Ada", email="ada@example.test")
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")
            txid = cursor.fetchone()[0]
    event = events_of(person).get()
    assert event.transaction_id == txid and event.action == "created"
    assert event.organization_id == organization.pk and event.object_repr == "Ada"
    assert event.after["email"] == "ada@example.test" and event.before is None


def test_a_rolled_back_change_leaves_no_row(organization):
    with pytest.raises(RuntimeError), transaction.atomic():
        Participant.objects.create(organization=organization, name="Gone", email="gone@example.test")
        raise RuntimeError
    assert not AuditEvent.objects.filter(object_repr="Gone").exists()


def test_an_update_keeps_only_what_changed_before_and_after_and_a_deletion_the_row(organization):
    person = Participant.objects.create(organization=organization, name="Ada", email="ada@example.test")
    Participant.objects.filter(pk=person.pk).update(name="Ada Lovelace")
    Participant.objects.filter(pk=person.pk).update(name="Ada Lovelace")  # no change, no event
    pk = person.pk
    person.delete()
    created, updated, deleted = events_of(person, pk)
    assert (updated.action, updated.before, updated.after) == ("updated", {"name": "Ada"}, {"name": "Ada Lovelace"})
    assert deleted.action == "deleted" and deleted.before["name"] == "Ada Lovelace" and deleted.after is None


def test_secrets_are_hidden_and_quiet_columns_alone_are_no_event(organization, owner):
    key, raw = api_key_create(organization=organization, name="CRM", actor=owner)
    from tenancy.models import ApiKey
    from django.utils import timezone

    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())  # quiet: every API call does it
    (created,) = events_of(key)
    assert created.after["key_hash"] == "[hidden]" and raw not in str(created.after)
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    assert [e.action for e in events_of(key)] == ["created", "updated"]


def test_a_status_change_is_named_by_the_new_status(study, researcher):
    from incentives.services.studies import study_close

    study_close(study=study, actor=researcher)
    event = events_of(study).last()
    assert (event.action, event.before["status"], event.after["status"]) == ("closed", "open", "closed")
    assert event.before["closed_at"] is None and event.after["closed_at"]


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET actor = 'someone else'",
    "DELETE FROM audit_auditevent",
    "UPDATE audit_auditevent SET after = '{}'::jsonb WHERE id = %(id)s",
])
def test_nothing_can_update_or_delete_a_row(organization, sql):
    Participant.objects.create(organization=organization, name="Ada", email="ada@example.test")
    event = AuditEvent.objects.get(object_type="studies.participant")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, {"id": event.pk})
    event_after = AuditEvent.objects.get(pk=event.pk)
    assert (event_after.actor, event_after.after) == (event.actor, event.after)


def test_the_orm_cant_update_or_delete_a_row_either(organization):
    Participant.objects.create(organization=organization, name="Ada", email="ada@example.test")
    for change in (lambda: AuditEvent.objects.update(actor="x"), lambda: AuditEvent.objects.all().delete()):
        with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
            change()
    assert AuditEvent.objects.get(object_type="studies.participant").actor == ""
