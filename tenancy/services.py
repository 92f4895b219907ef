import secrets

from django.db import transaction
from django.utils import timezone

from .models import ApiKey, Membership, Organization, User, hash_secret

API_KEY_PREFIX = "ik_"


@transaction.atomic
def organization_create(*, name: str, slug: str, owner: User) -> Organization:
    organization = Organization.objects.create(name=name, slug=slug)
    Membership.objects.create(user=owner, organization=organization, role=Membership.Role.OWNER)
    return organization


def membership_set(*, organization: Organization, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    return membership


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
