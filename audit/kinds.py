from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    """Who made a change (audit/context.py sets it; the trigger's default is SYSTEM)."""

    USER = "user", _("Person")
    API_KEY = "api_key", _("API key")
    TASK = "task", _("Background task")
    COMMAND = "command", _("Command")
    PUBLIC = "public", _("Public page")
    SYSTEM = "system", _("System")
