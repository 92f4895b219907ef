from django.contrib import admin

from budgets.admin import ReadOnlyAdmin

from .models import Approval


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    """Read-only: decisions are made on the Approvals page or the API, through the services."""

    list_display = ("pk", "organization", "kind", "summary", "status", "requested_by", "decided_label", "requested_at")
    list_filter = ("status", "kind")
