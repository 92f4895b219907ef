from django.contrib import admin

from .models import Distribution, IncentiveProgram, LinkTemplate, Offer, OfferEvent, ProviderProfile


@admin.register(ProviderProfile)
class ProviderProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "organization", "contact_email", "no_response_after_days"]


@admin.register(IncentiveProgram)
class IncentiveProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "active", "default_expiry_days"]
    list_filter = ["organization", "active"]


@admin.register(LinkTemplate)
class LinkTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "program", "incentive_type", "value_display"]
    list_filter = ["organization"]


class OfferEventInline(admin.TabularInline):
    model = OfferEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor_kind", "actor_label", "from_status", "to_status", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    """Read-only: status changes go through offers.services.offer_transition (the dashboard)."""

    list_display = ["pk", "organization", "program", "recipient_display", "value_display", "status", "expires_on"]
    list_filter = ["organization", "status", "delivery"]
    search_fields = ["recipient_name", "recipient_email"]
    inlines = [OfferEventInline]
    exclude = ["link_nonce", "link_hash", "widget_nonce", "widget_hash"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    list_display = ["offer", "organization", "amount", "distributed_on", "method", "reference"]
    list_filter = ["organization", "method"]

    # Recorded through offers.services.distribution_record only (its checks: amount, date, status).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
