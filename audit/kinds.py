from django.db import models


class ActorKind(models.TextChoices):
    """Who made a change (audit/context.py sets it; the trigger's default is SYSTEM)."""

    USER = "user", "Person"
    API_KEY = "api_key", "API key"
    TASK = "task", "Background task"
    COMMAND = "command", "Command"
    PUBLIC = "public", "Public page"
    SYSTEM = "system", "System"
