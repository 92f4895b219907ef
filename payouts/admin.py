from django.contrib import admin

from budgets.admin import ReadOnlyAdmin

from .models import Payout, PayoutBatch

# Payouts change only through their services (the Payouts page): admin reads.


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "organization", "method", "currency", "status", "payout_count", "created_at", "sent_at"]
    list_filter = ["organization", "method", "status"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["pk", "organization", "batch", "incentive", "method", "amount_minor", "currency", "status", "reason"]
    list_filter = ["organization", "status", "method"]
