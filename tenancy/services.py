import secrets

from django.db import transaction
from django.utils import timezone

from .models import ApiKey, Organization, User, hash_secret
from .signals import organization_policy_changed

API_KEY_PREFIX = "ik_"


@transaction.atomic
def organization_settings_update(*, organization: Organization, actor: User, **values) -> list[str]:
    """Change the organization's name and policies (the fields of OrganizationPolicyForm).

    Apps above this one act on a changed policy in the same transaction, through the
    `organization_policy_changed` signal (incentives expires what claims after a study closes
    no longer allow); what they did comes back as sentences for the person who changed it.
    """
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    changed = {name: (getattr(locked, name), value) for name, value in values.items() if getattr(locked, name) != value}
    for name, (_, value) in changed.items():
        setattr(locked, name, value)
    if changed:
        locked.save(update_fields=list(changed))
    answers = organization_policy_changed.send(sender=Organization, organization=locked, changed=changed, actor=actor)
    for name in changed:
        setattr(organization, name, getattr(locked, name))
    return [said for _, said in answers if said]


def api_key_create(*, organization: Organization, name: str, actor: User | None) -> tuple[ApiKey, str]:
    """Returns the key and its secret, which is shown once and never stored."""
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=raw[:10],
        key_hash=hash_secret(raw),
        created_by=actor,
    )
    return key, raw


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key with this secret, or None; records when it was last used."""
    if not raw or not raw.startswith(API_KEY_PREFIX):
        return None
    key = (
        ApiKey.objects.active()
        .select_related("organization")
        .filter(key_hash=hash_secret(raw))
        .first()
    )
    if key:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key
