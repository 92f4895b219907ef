from django.contrib import admin

from .models import Payout, PayoutBatch


class ReadOnly(admin.ModelAdmin):
    """Payouts change only through their services (the Payouts page): admin reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnly):
    list_display = ["pk", "organization", "method", "currency", "status", "payout_count", "created_at", "sent_at"]
    list_filter = ["organization", "method", "status"]


@admin.register(Payout)
class PayoutAdmin(ReadOnly):
    list_display = ["pk", "organization", "batch", "incentive", "method", "amount_minor", "currency", "status", "reason"]
    list_filter = ["organization", "status", "method"]
