"""The provider dashboard: setup, My Offers, offer pages, link templates, distributions."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _, pgettext

from approvals.selectors import approval_list_for
from core.csv import csv_response
from core.errors import DomainError
from core.forms import posted_text
from core.lists import list_page
from core.once import act_once, once
from tenancy.access import get_for_org_or_404, organization_required, require_writer

from . import selectors, services
from .access import provider_required
from .filters import OfferFilterSet
from .forms import (
    DistributionForm, ExpiryForm, LinkTemplateForm, MessageForm, OfferForm, ProgramForm, ProviderProfileForm, TransitionForm,
)
from .models import Distribution, IncentiveProgram, LinkTemplate, Offer, OfferMember, ProviderProfile
from .tables import DistributionTable, LinkTemplateTable, OfferTable
from .transitions import EXPIRABLE

PER_PAGE = 25


def _offer(request, pk) -> Offer:
    return get_for_org_or_404(Offer.objects.select_related("program"), request, pk=pk)


def _fragment(request, template: str, name: str) -> str:
    """The page's named partial for htmx requests (not boosted ones), else the page."""
    return f"{template}#{name}" if request.htmx and not request.htmx.boosted else template


# --- Setup ------------------------------------------------------------------------------


@organization_required
def provider_profile(request):
    profile = ProviderProfile.objects.for_org(request.organization).first()
    form = ProviderProfileForm(request.POST or None, instance=profile)
    if request.method == "POST":
        require_writer(request)
        if form.is_valid():
            services.provider_profile_save(organization=request.organization, **form.cleaned_data)
            messages.success(request, _("Provider profile saved."))
            has_programs = IncentiveProgram.objects.for_org(request.organization).exists()
            return redirect("offers:list" if has_programs else "offers:programs")
    return render(request, "offers/profile.html", {"form": form, "profile": profile})


@provider_required
def program_list(request):
    form = ProgramForm(request.POST or None, organization=request.organization)
    if request.method == "POST":
        require_writer(request)
        if form.is_valid():
            program = services.program_save(organization=request.organization, **form.cleaned_data)
            messages.success(request, _("Program “%(name)s” created.") % {"name": program})
            return redirect("offers:programs")
    programs = list(selectors.program_list(organization=request.organization))
    totals = selectors.distribution_totals_by_program(organization=request.organization)
    for program in programs:
        program.distributed = totals["by_program"].get(program.pk, [])
    return render(request, "offers/program_list.html", {"form": form, "programs": programs, "totals": totals})


@provider_required
def program_detail(request, pk):
    program = get_for_org_or_404(IncentiveProgram, request, pk=pk)
    form = ProgramForm(request.POST or None, instance=program, organization=request.organization)
    if request.method == "POST":
        require_writer(request)
        if form.is_valid():
            services.program_save(organization=request.organization, program=program, **form.cleaned_data)
            messages.success(request, _("Program “%(name)s” saved.") % {"name": program})
            return redirect("offers:program_detail", pk=program.pk)
    return render(request, "offers/program_detail.html", {"form": form, "program": program})


# --- My Offers --------------------------------------------------------------------------


@provider_required
@vary_on_headers("HX-Request")
def offer_list(request):
    setup = selectors.provider_setup(organization=request.organization)
    offers = selectors.offer_list(organization=request.organization)
    return list_page(
        request, "offers/offer_list.html", OfferTable, OfferFilterSet, offers, per_page=PER_PAGE,
        context={"setup": setup},
    )


def _ready_or_redirect(request):
    require_writer(request)
    if not selectors.provider_setup(organization=request.organization)["ready"]:
        messages.warning(request, _("Set up your provider profile and an active incentive program first."))
        return redirect("offers:list")
    return None


@provider_required
def offer_create(request):
    if (refusal := _ready_or_redirect(request)) is not None:
        return refusal
    template_id = request.GET.get("template", "")
    template = get_for_org_or_404(LinkTemplate, request, pk=template_id) if template_id.isdigit() else None
    program = IncentiveProgram.objects.for_org(request.organization).active().first()
    initial = OfferForm.initial_from(template=template, program=program)
    form = OfferForm(request.POST or None, organization=request.organization, initial=initial)
    if request.method == "POST" and form.is_valid():
        send = "send" in request.POST
        offer = services.offer_create(
            organization=request.organization, actor=request.user, send=send, **form.offer_fields()
        )
        messages.success(request, (_("Offer #%(number)s sent.") if send else _("Offer #%(number)s saved as a draft.")) % {"number": offer.pk})
        return redirect("offers:detail", pk=offer.pk)
    return render(request, "offers/offer_form.html", {"form": form, "editing": None})


@provider_required
def offer_edit(request, pk):
    offer = _offer(request, pk)
    require_writer(request)
    if refusal := services.edit_refusal(offer):  # said before any form is shown
        messages.info(request, refusal)
        return redirect("offers:detail", pk=offer.pk)
    form = OfferForm(request.POST or None, organization=request.organization, initial=OfferForm.initial_from_offer(offer))
    if request.method == "POST" and form.is_valid():
        try:
            save = services.offer_update_and_send if "send" in request.POST else services.offer_update
            offer = save(offer=offer, actor=request.user, **form.offer_fields())
        except DomainError as error:
            messages.error(request, error.message)
        else:
            said = _("Offer #%(number)s saved and sent.") if offer.status == Offer.Status.OFFERED else _("Offer #%(number)s saved.")
            messages.success(request, said % {"number": offer.pk})
        return redirect("offers:detail", pk=offer.pk)
    return render(request, "offers/offer_form.html", {"form": form, "editing": offer})


@provider_required
def offer_detail(request, pk):
    offer = _offer(request, pk)
    context = {
        "offer": offer,
        "events": offer.events.select_related("actor"),
        "actions": selectors.provider_actions(offer),
        "transition_form": TransitionForm(offer=offer),
        "progress": selectors.group_progress(offer=offer),
        "totals": selectors.distribution_totals(offer=offer),
        "link_url": request.build_absolute_uri(reverse("offers:link", args=[offer.link_token])) if offer.link_token else "",
        "editable": not services.edit_refusal(offer),
        "no_response_on": services.no_response_on(offer),
        "can_extend": offer.status in EXPIRABLE,
        "expiry_form": ExpiryForm(),
        "awaiting_approval": approval_list_for(organization=request.organization, reference=f"offer:{offer.pk}"),
    }
    return render(request, "offers/offer_detail.html", context)


@provider_required
@require_POST
def offer_transition(request, pk):
    offer = _offer(request, pk)
    require_writer(request)
    form = TransitionForm(request.POST, offer=offer)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("offers:detail", pk=offer.pk)
    try:
        offer = services.provider_move(
            offer=offer, to_status=form.cleaned_data["to_status"], actor=request.user, note=form.cleaned_data["note"],
            terms=form.cleaned_data["terms"], acknowledgement_name=form.cleaned_data["acknowledgement_name"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if getattr(offer, "awaiting_approval", None):
            messages.success(request, _("%(summary)s: awaiting approval by another owner or admin.") % {"summary": offer.awaiting_approval.summary})
            return redirect("offers:detail", pk=offer.pk)
        messages.success(request, _("Offer #%(number)s is now %(status)s.") % {"number": offer.pk, "status": offer.get_status_display()})
    return redirect("offers:detail", pk=offer.pk)


@provider_required
@require_POST
def offer_extend_expiry(request, pk):
    offer = _offer(request, pk)
    require_writer(request)
    form = ExpiryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new expiry date."))
        return redirect("offers:detail", pk=offer.pk)
    try:
        offer = services.offer_extend_expiry(offer=offer, actor=request.user, expires_on=form.cleaned_data["expires_on"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Offer #%(number)s now expires on %(date)s.") % {
            "number": offer.pk, "date": date_format(offer.expires_on, pgettext("long date", "F j, Y"))})
    return redirect("offers:detail", pk=offer.pk)


# --- Messages, members, distributions, widget -------------------------------------------


def _message_form(offer, data=None):
    choices = [(t.target, t.label) for t in selectors.provider_actions(offer)]
    members = offer.members.exclude(status=OfferMember.Status.DECLINED) if offer.is_group else None
    return MessageForm(data, choices=choices, members=members)


@provider_required
def offer_messages(request, pk):
    offer = _offer(request, pk)
    form = _message_form(offer, request.POST or None)
    if request.method == "POST":
        require_writer(request)
        if form.is_valid():
            try:
                services.message_post(
                    offer=offer, body=form.cleaned_data["body"], user=request.user,
                    to_status=form.cleaned_data.get("to_status", ""), to_member=form.cleaned_data.get("to_member"),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                offer.refresh_from_db()
                form = _message_form(offer)
    context = {"offer": offer, "form": form, "thread": selectors.thread(offer), "post_url": request.path}
    return render(request, _fragment(request, "offers/offer_messages.html", "thread"), context)


@provider_required
def offer_members(request, pk):
    offer = _offer(request, pk)
    context = {"offer": offer, "members": offer.members.all(), "progress": selectors.group_progress(offer=offer)}
    return render(request, "offers/offer_members.html", context)


@provider_required
def offer_distributions(request, pk):
    offer = _offer(request, pk)
    form = DistributionForm(request.POST or None, offer=offer)
    if request.method == "POST":
        require_writer(request)
        if form.is_valid():
            try:
                with once(request) as first:
                    if first:
                        services.distribution_record(offer=offer, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error({"distribution_overage": "overage_reason", "invalid_date": "distributed_on"}.get(error.code), error.message)
            else:
                said = _("Recorded %(amount)s for offer #%(number)s.") % {"amount": form.cleaned_data["amount"], "number": offer.pk}
                messages.success(request, said if first else _("Done already, once: %(said)s") % {"said": said})
                return redirect("offers:distributions", pk=offer.pk)
    context = {"offer": offer, "form": form, "totals": selectors.distribution_totals(offer=offer),
               "can_record": offer.status in services.DISTRIBUTABLE}
    return list_page(
        request, "offers/offer_distributions.html", DistributionTable, None, selectors.offer_distributions(offer=offer),
        per_page=PER_PAGE, context=context,
    )


@provider_required
@require_POST
def distribution_reverse(request, pk, distribution_pk):
    """The "Correct" action: a reversing record with a reason; the original stays."""
    offer = _offer(request, pk)
    require_writer(request)
    distribution = get_for_org_or_404(Distribution.objects.filter(offer=offer), request, pk=distribution_pk)
    act_once(
        request,
        lambda: services.distribution_reverse(distribution=distribution, actor=request.user, reason=posted_text(request, "reason", label=_("Reason"))),
        done=_("Corrected: the distribution of %(amount)s is reversed; it stays in the history.") % {"amount": distribution.amount},
    )
    return redirect("offers:distributions", pk=offer.pk)


@provider_required
def distributions_export(request):
    offer = _offer(request, request.GET["offer"]) if request.GET.get("offer", "").isdigit() else None
    rows = selectors.distribution_export_rows(organization=request.organization, offer=offer)
    name = f"distributions-offer-{offer.pk}" if offer else "distributions"
    return csv_response(filename=name, header=selectors.DISTRIBUTION_HEADER, rows=rows)


@provider_required
def widget_embed(request, pk):
    offer = _offer(request, pk)
    urls = {}
    if offer.widget_token:
        for key, name in (("widget_url", "offers:widget_frame"), ("script_url", "offers:widget_script")):
            urls[key] = request.build_absolute_uri(reverse(name, args=[offer.widget_token]))
    return render(request, "offers/widget_embed.html", {"offer": offer, **urls})


# --- Link templates ---------------------------------------------------------------------


@provider_required
def link_template_list(request):
    form = LinkTemplateForm(request.POST or None, organization=request.organization)
    if request.method == "POST":
        require_writer(request)
        if form.is_valid():
            template = services.link_template_save(organization=request.organization, **form.template_fields())
            messages.success(request, _("Link template “%(name)s” created.") % {"name": template})
            return redirect("offers:link_templates")
    return list_page(
        request, "offers/link_template_list.html", LinkTemplateTable, None,
        selectors.link_template_list(organization=request.organization), per_page=PER_PAGE,
        context={"form": form, "setup": selectors.provider_setup(organization=request.organization)},
    )


@provider_required
def link_template_edit(request, pk):
    template = get_for_org_or_404(LinkTemplate.objects.select_related("program"), request, pk=pk)
    form = LinkTemplateForm(request.POST or None, instance=template, organization=request.organization)
    if request.method == "POST":
        require_writer(request)
        if form.is_valid():
            services.link_template_save(organization=request.organization, template=template, **form.template_fields())
            messages.success(request, _("Link template “%(name)s” saved.") % {"name": template})
            return redirect("offers:link_templates")
    return render(request, "offers/link_template_form.html", {"form": form, "template": template})


@provider_required
@require_POST
def link_template_make_link(request, pk):
    template = get_for_org_or_404(LinkTemplate.objects.select_related("program"), request, pk=pk)
    if (refusal := _ready_or_redirect(request)) is not None:
        return refusal
    offer = services.offer_from_template(template=template, actor=request.user)
    messages.success(request, _("Shareable link made from “%(name)s”: offer #%(number)s.") % {"name": template, "number": offer.pk})
    return redirect("offers:detail", pk=offer.pk)


@provider_required
def provider_home(request):
    return redirect("offers:list")
