from django.contrib import admin

from .models import Participant, Study, StudyParticipant


class StudyParticipantInline(admin.TabularInline):
    model = StudyParticipant
    fields = ["participant", "status", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "status", "budget", "incentive_amount", "created_at"]
    list_filter = ["organization", "status"]
    search_fields = ["name"]
    filter_horizontal = ["owners"]
    # The plan's money fields change only through the study form (which checks the budget).
    readonly_fields = ["organization", "budget", "incentive_amount_minor", "currency", "status", "closed_at"]
    inlines = [StudyParticipantInline]

    def has_add_permission(self, request):
        return False


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "organization", "created_at"]
    list_filter = ["organization"]
    search_fields = ["name", "email"]
    readonly_fields = ["organization"]

    def has_add_permission(self, request):
        return False
