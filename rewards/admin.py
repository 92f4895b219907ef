from django.contrib import admin, messages

from . import services
from .models import Advocate, Redemption, Reward, RewardAccount, RewardEvent, RewardProgram
from django.utils.translation import gettext_lazy as _


class AdvocateInline(admin.TabularInline):
    model = Advocate
    extra = 0
    fields = ["name", "email", "external_id", "w9_submitted_at"]
    readonly_fields = ["w9_submitted_at"]


@admin.register(RewardAccount)
class RewardAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "external_id", "organization"]
    list_filter = ["organization"]
    search_fields = ["name", "external_id"]
    inlines = [AdvocateInline]


@admin.register(Advocate)
class AdvocateAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "account", "w9_submitted_at"]
    list_filter = ["organization"]
    search_fields = ["name", "email", "external_id"]
    readonly_fields = ["w9_submitted_at"]
    actions = ["mark_w9"]

    @admin.action(description=_("Mark W-9 submitted (releases held rewards)"))
    def mark_w9(self, request, queryset):
        for advocate in queryset:
            services.advocate_mark_w9(advocate=advocate, actor=services.Actor.web(request.user))
        messages.success(request, _("Marked %(n)s W-9(s).") % {"n": queryset.count()})


class RewardEventInline(admin.TabularInline):
    model = RewardEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "amount_minor", "actor_label", "channel", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    """Rewards are read here; money and status change only through services (the admin actions)."""

    list_display = ["pk", "account", "advocate", "amount_minor", "currency", "redeemed_minor", "status", "pending_reason", "event_at"]
    list_filter = ["status", "pending_reason", "organization"]
    search_fields = ["external_id", "source_event", "account__name"]
    inlines = [RewardEventInline]
    actions = ["release"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Release now (pending period)"))
    def release(self, request, queryset):
        for reward in queryset:
            try:
                services.reward_release(reward=reward, actor=services.Actor.web(request.user))
            except services.RewardError as error:
                messages.error(request, _("Reward %(number)s: %(error)s") % {"number": reward.pk, "error": error.message})


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ["pk", "reward", "amount_minor", "currency", "channel", "actor_label", "created_at"]
    list_filter = ["channel", "organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RewardProgram)
class RewardProgramAdmin(admin.ModelAdmin):
    """Read-only: programs are configured on the Rewards > Programs page (rewards.services.programs)."""

    list_display = ["name", "organization", "currency", "amount_minor", "pending_days", "w9_above_threshold", "archived_at"]
    list_filter = ["organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
