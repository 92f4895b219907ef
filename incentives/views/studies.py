from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.utils.translation import gettext as _, ngettext

from budgets.models import Budget
from core.lists import list_page
from core.money import Money, MoneyError, require_positive
from tenancy.access import get_for_org_or_404, organization_required, require_writer

from studies import selectors, services
from studies.filters import StudyFilterSet
from studies.tables import StudyTable
from studies.forms import ParticipantCsvForm, ParticipantForm, SessionForm, StatusForm, StudyForm
from studies.models import Study, StudyParticipant

from .. import selectors as incentive_selectors
from ..services import studies as study_lifecycle


def _study(request, pk, *, manage=False) -> Study:
    """The current organization's study (another's is a 404); `manage`: owners and admins only."""
    studies = Study.objects.select_related("budget__available_account", "organization")
    study = get_for_org_or_404(studies, request, pk=pk)
    if manage and not _can_manage(request, study):
        raise PermissionDenied(_("Only this study's owners and organization admins can do that."))
    return study


def _can_manage(request, study) -> bool:
    return services.study_can_manage(study=study, user=request.user, membership=request.membership)


@organization_required
def study_list(request):
    return list_page(
        request, "studies/study_list.html", StudyTable, StudyFilterSet, selectors.study_list(organization=request.organization)
    )


@organization_required
def study_create(request):
    require_writer(request)
    form = StudyForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        study = services.study_create(
            organization=request.organization, actor=request.user, name=data["name"], description=data["description"],
            budget=data["budget"], amount=data["amount"], owners=data["owners"],
        )
        messages.success(request, _("Study “%(name)s” created. Add its participants.") % {"name": study.name})
        return redirect("studies:detail", pk=study.pk)
    return render(request, "studies/study_form.html", {"form": form})


@organization_required
def study_edit(request, pk):
    study = _study(request, pk, manage=True)
    initial = {"name": study.name, "description": study.description, "budget": study.budget_id,
               "amount": study.incentive_amount, "owners": list(study.owners.all())}
    form = StudyForm(request.POST or None, organization=request.organization, study=study, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.study_update(
                study=study, actor=request.user, name=data["name"], description=data["description"],
                budget=data["budget"], amount=data["amount"], owners=data["owners"],
            )
        except services.StudyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Study saved."))
            return redirect("studies:detail", pk=study.pk)
    return render(request, "studies/study_form.html", {"form": form, "study": study})


@organization_required
def plan_check(request):
    """The incentive component's check: what the chosen budget covers at this amount (htmx)."""
    budget_id = request.GET.get("budget", "")
    budgets = Budget.objects.for_org(request.organization).with_accounts()
    budget = budgets.filter(pk=budget_id).first() if budget_id.isdigit() else None
    context = {"budget": budget}
    if budget and request.GET.get("amount", "").strip():
        try:
            amount = require_positive(Money.parse(request.GET.get("amount", ""), budget.currency))
        except MoneyError as error:
            context["error"] = str(error)
        else:
            context.update(amount=amount, covers=budget.available_minor // amount.amount_minor)
    return render(request, "studies/study_form.html#plan_check", context)


# The panel lists this many of a group; "all N in the Done group" reaches the rest (the send
# wizard posts the group, not the ids: a form may carry at most DATA_UPLOAD_MAX_NUMBER_FIELDS).
PANEL_ROWS = 200


def _panel_context(request, study, group):
    group = group if group in selectors.GROUPS else "done"
    groups = selectors.study_group_counts(study=study)
    return {
        "study": study,
        "group": group,
        "groups": groups,
        "group_count": next(g["count"] for g in groups if g["key"] == group),
        "rows": incentive_selectors.study_participants(study=study, group=group)[:PANEL_ROWS],
        "can_manage": _can_manage(request, study),
        "statuses": StatusForm.base_fields["status"].choices,
    }


@organization_required
def study_detail(request, pk):
    study = _study(request, pk)
    context = _panel_context(request, study, request.GET.get("group"))
    context.update(
        totals=incentive_selectors.study_incentive_totals(study=study),
        participant_form=ParticipantForm(),
        csv_form=ParticipantCsvForm(),
    )
    return render(request, "studies/study_detail.html", context)


@organization_required
def study_panel(request, pk):
    study = _study(request, pk)
    return render(request, "studies/study_detail.html#panel", _panel_context(request, study, request.GET.get("group")))


@organization_required
@require_POST
def study_participant_add(request, pk):
    study = _study(request, pk, manage=True)
    form = ParticipantForm(request.POST)
    if form.is_valid():
        try:
            services.study_participant_add(study=study, actor=request.user, **form.cleaned_data)
        except services.StudyError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Added %(name)s.") % {"name": form.cleaned_data["name"]})
    else:
        for field, errors in form.errors.items():
            messages.error(request, _("%(field)s: %(errors)s") % {"field": form.fields[field].label or field.title(), "errors": " ".join(errors)})
    return redirect("studies:detail", pk=study.pk)


@organization_required
@require_POST
def study_participants_import(request, pk):
    study = _study(request, pk, manage=True)
    form = ParticipantCsvForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("studies:detail", pk=study.pk)
    result = services.study_participants_import(study=study, actor=request.user, csv_text=form.cleaned_data["file"])
    if result.errors:
        messages.error(request, _("Nothing was imported. Fix these rows and upload the file again:"))
        for error in result.errors:
            messages.error(request, error)
    else:
        messages.success(request, ngettext("Added %(count)s participant.", "Added %(count)s participants.", len(result.added)) % {"count": len(result.added)})
        if result.skipped:
            messages.info(request, _("Already in this study, skipped: %(emails)s.") % {"emails": ", ".join(result.skipped)})
    return redirect("studies:detail", pk=study.pk)


def _panel_change(request, pk, participant_pk, change):
    """One participant's change from the panel: `change(study_participant)` calls a service and
    returns the message; a refusal becomes an error message. htmx gets the panel back with the
    messages, a plain form post the page."""
    study = _study(request, pk, manage=True)
    study_participant = get_for_org_or_404(
        StudyParticipant.objects.select_related("participant"), request, study=study, participant_id=participant_pk
    )
    study_participant.study = study
    try:
        messages.success(request, change(study_participant))
    except services.StudyError as error:
        messages.error(request, error.message)
    if request.htmx:
        context = _panel_context(request, study, request.POST.get("group"))
        return render(request, "studies/study_detail.html#panel_with_messages", context)
    group = request.POST.get("group", "")
    return redirect(reverse("studies:detail", args=[study.pk]) + (f"?group={group}" if group in selectors.GROUPS else ""))


def _form_refused(form) -> services.StudyError:
    return services.StudyError(" ".join(
        _("%(field)s: %(errors)s") % {"field": form.fields[f].label, "errors": " ".join(e)} for f, e in form.errors.items()
    ))


@organization_required
@require_POST
def study_participant_status(request, pk, participant_pk):
    def change(study_participant):
        form = StatusForm(request.POST)
        if not form.is_valid():
            raise services.StudyError(_("Choose one of the statuses."))
        done = services.study_participant_set_status(
            study_participant=study_participant, actor=request.user, status=form.cleaned_data["status"]
        )
        return _("%(name)s: %(status)s.") % {"name": done.participant.name, "status": done.get_status_display()}

    return _panel_change(request, pk, participant_pk, change)


@organization_required
@require_POST
def study_participant_session(request, pk, participant_pk):
    def change(study_participant):
        form = SessionForm(request.POST)
        if not form.is_valid():
            raise _form_refused(form)
        done = services.study_participant_set_session(study_participant=study_participant, actor=request.user, **form.cleaned_data)
        said = _("%(name)s: session saved.") if done.session_at else _("%(name)s: session cleared.")
        return said % {"name": done.participant.name}

    return _panel_change(request, pk, participant_pk, change)


@organization_required
@require_POST
def study_participant_undo_completion(request, pk, participant_pk):
    def change(study_participant):
        done = services.study_participant_undo_completion(study_participant=study_participant, actor=request.user)
        return _("%(name)s is Scheduled again; this session won't complete automatically.") % {"name": done.participant.name}

    return _panel_change(request, pk, participant_pk, change)


@organization_required
@require_POST
def study_participant_no_show(request, pk, participant_pk):
    def change(study_participant):
        done = services.study_participant_mark_no_show(study_participant=study_participant, actor=request.user)
        return _("%(name)s: no-show. They stay Scheduled and won't complete automatically.") % {"name": done.participant.name}

    return _panel_change(request, pk, participant_pk, change)


@organization_required
@require_POST
def study_close(request, pk):
    """Close (a second click or a retried request finds it closed and changes nothing)."""
    study = _study(request, pk, manage=True)
    was_open = study.is_open
    study = study_lifecycle.study_close(study=study, actor=request.user)
    messages.success(request, (_("“%(name)s” is closed.") if was_open else _("“%(name)s” was closed already.")) % {"name": study.name})
    return redirect("studies:detail", pk=study.pk)


@organization_required
@require_POST
def study_reopen(request, pk):
    study = _study(request, pk, manage=True)
    was_open = study.is_open
    study = study_lifecycle.study_reopen(study=study, actor=request.user)
    messages.success(request, (_("“%(name)s” is open.") if was_open else _("“%(name)s” is open again.")) % {"name": study.name})
    return redirect("studies:detail", pk=study.pk)
