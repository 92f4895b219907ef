"""The one audit log: a row per change of a tracked row, written by a database trigger in the
same transaction as the change (audit/sql.py), never updated or deleted (the database refuses)."""

import pgtrigger
from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import Organization, TenantModel

from .kinds import ActorKind


class AuditEvent(TenantModel):
    ActorKind = ActorKind

    # No foreign key constraint: the log outlives what it records, and an organization's rows
    # being removed (in tests, by CASCADE) must not be refused for the log's sake.
    organization = models.ForeignKey(Organization, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    occurred_at = models.DateTimeField()
    transaction_id = models.BigIntegerField(help_text=_("PostgreSQL's id of the transaction that made the change."))
    context_id = models.UUIDField(null=True, help_text=_("One request, task or command."))
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor = models.CharField(max_length=200, help_text=_("The person's email, the key's name, the task's name."))
    actor_user_id = models.BigIntegerField(null=True)
    actor_api_key_id = models.BigIntegerField(null=True)
    ip_address = models.CharField(max_length=45, blank=True)
    action = models.CharField(max_length=40, help_text=_("created, updated, deleted, or the new status."))
    object_type = models.CharField(max_length=60, help_text=_("app_label.modelname"))
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=200, blank=True)
    parent_type = models.CharField(max_length=60, null=True)
    parent_id = models.BigIntegerField(null=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "-id"], name="audit_org_recent"),
            models.Index(fields=["organization", "object_type", "object_id"], name="audit_org_object"),
            models.Index(fields=["organization", "parent_type", "parent_id"], name="audit_org_parent"),
        ]
        triggers = [pgtrigger.Protect(name="audit_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.actor or self.get_actor_kind_display()} {self.action} {self.object_type} #{self.object_id}"

    @property
    def object_label(self) -> str:
        return type_label(self.object_type)

    @property
    def object_key(self) -> str:
        return f"{self.object_type}:{self.object_id}"

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field the event shows: the changed ones of an update,
        every field of a creation or deletion."""
        before, after = self.before or {}, self.after or {}
        return [(key, before.get(key), after.get(key)) for key in (after or before)]


def type_label(object_type: str) -> str:
    """'studies.studyparticipant' -> 'Study participant'."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return object_type
