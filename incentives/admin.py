from django.contrib import admin, messages
from django.utils.translation import gettext as _, gettext_lazy

from studies.services import NotAllowed

from . import services
from .models import Incentive


@admin.register(Incentive)
class IncentiveAdmin(admin.ModelAdmin):
    """Incentives are created by sending; admins read them and cancel or remind through services."""

    list_display = ["participant", "study", "amount", "status", "payout_status", "sent_at", "claimed_at", "reminder_count"]
    # The Recipients page's comparator in bench/compare.py: the same filters, 50 rows a page.
    list_filter = ["organization", "status", "study", "sent_at"]
    list_per_page = 50
    search_fields = ["participant__name", "participant__email", "study__name"]
    list_select_related = ["participant", "study"]
    # The sealed payout details are never shown, not even to admins: the masked form is.
    exclude = ["token_nonce", "token_hash", "payout_details_sealed"]
    actions = ["cancel", "remind"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in self.exclude]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _each(self, request, queryset, service, done):
        changed, refused = 0, []
        for incentive in queryset.select_related("study", "participant", "organization"):
            try:
                changed += service(incentive=incentive, actor=request.user)
            except (services.IncentiveError, NotAllowed) as error:
                refused.append(error.message)
        self.message_user(request, done.format(changed))
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=gettext_lazy("Cancel the selected incentives (money back to the budget)"))
    def cancel(self, request, queryset):
        self._each(request, queryset, services.incentive_cancel, _("Cancelled {} incentive(s)."))

    @admin.action(description=gettext_lazy("Send a reminder with the same claim link"))
    def remind(self, request, queryset):
        self._each(request, queryset, services.incentive_remind, _("Sent {} reminder(s)."))
