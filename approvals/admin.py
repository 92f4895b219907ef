from django.contrib import admin

from .models import Approval


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    """Read-only: decisions are made on the Approvals page, through the services."""

    list_display = ("pk", "organization", "kind", "summary", "status", "requested_by", "decided_label", "requested_at")
    list_filter = ("status", "kind")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
