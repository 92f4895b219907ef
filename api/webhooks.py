"""Webhook endpoints in the REST API: read-only, scoped to the key's organization; secrets are
never returned (they are shown once, in Settings)."""

import datetime

from ninja import Router, Schema
from pydantic import ConfigDict

from api.schemas import ERRORS
from webhooks.models import WebhookEndpoint

router = Router()


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    created_at: datetime.datetime
    disabled_at: datetime.datetime | None
    failing_since: datetime.datetime | None

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "url": "https://hooks.example.com/gratia", "description": "CRM sync", "events": ["reward.redeemed"],
        "enabled": True, "created_at": "2026-11-01T09:00:00Z", "disabled_at": None, "failing_since": None,
    }]})

    @staticmethod
    def resolve_enabled(endpoint):
        return endpoint.is_enabled


@router.get("/webhooks/endpoints", response={200: list[EndpointOut], **ERRORS}, summary="List webhook endpoints")
def endpoint_list(request):
    return list(WebhookEndpoint.objects.for_org(request.auth.organization))
