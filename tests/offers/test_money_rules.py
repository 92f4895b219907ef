"""Issue 15.5 and 12.10: partial grants stay below what they answer; distributions stay within
what was granted unless the provider confirms an overage; corrections are reversing records."""

import pytest
from django.urls import reverse

from core.errors import DomainError
from core.money import Money
from offers import services
from offers.transitions import Party, Status

pytestmark = pytest.mark.django_db


def grant(offer, owner, minor):
    return services.offer_transition(offer=offer, to_status=Status.PARTIAL_GRANTED, actor_kind=Party.PROVIDER,
                                     actor=owner, terms=Money(minor, "USD"))


def test_a_partial_grant_above_the_offer_is_refused(offer_in, owner):
    offer = offer_in(Status.INFO_PROVIDED)  # $25.00
    with pytest.raises(DomainError, match=r"below the offer of \$25.00"):
        grant(offer, owner, 3000)
    with pytest.raises(DomainError, match="below the offer"):
        grant(offer, owner, 2500)
    offer.refresh_from_db()
    assert offer.status == Status.INFO_PROVIDED and offer.amount_minor == 2500


def test_a_partial_grant_answering_a_counter_stays_below_the_counter(offer_in, owner):
    offer = offer_in(Status.OFFERED, value=Money(1000, "USD"))
    services.offer_transition(offer=offer, to_status=Status.COUNTER, actor_kind=Party.RECIPIENT,
                              member=offer.members.get(), terms=Money(1200, "USD"))
    with pytest.raises(DomainError, match=r"below the counter of \$12.00"):
        grant(offer, owner, 5000)
    assert grant(offer, owner, 1100).amount_minor == 1100


def test_a_partial_grant_of_nothing_is_refused(offer_in, owner):
    with pytest.raises(DomainError, match="above zero"):
        grant(offer_in(Status.INFO_PROVIDED), owner, 0)


def test_the_provider_page_grants_through_the_one_grant_service(client_for, owner, offer_in, monkeypatch):
    from django.urls import reverse
    offer = offer_in(Status.INFO_PROVIDED)
    calls = []
    real = services.offer_grant
    monkeypatch.setattr(services, "offer_grant", lambda **kw: calls.append(kw["to_status"]) or real(**kw))
    client_for(owner).post(reverse("offers:transition", args=[offer.pk]), {"to_status": "partial_granted", "value": "10.00"})
    assert calls == ["partial_granted"]


def record(offer, owner, minor, **kwargs):
    from django.utils import timezone
    return services.distribution_record(offer=offer, actor=owner, amount=Money(minor, "USD"),
                                        distributed_on=timezone.localdate(), method="gift_card", **kwargs)


def test_distributions_beyond_the_granted_value_are_refused_without_a_reason(offer_in, owner):
    offer = offer_in(Status.CLAIMED)  # $25.00
    record(offer, owner, 1000)
    with pytest.raises(DomainError, match=r"\$25.00 more is \$10.00 over"):
        record(offer, owner, 2500)
    assert offer.distributions.count() == 1
    over = record(offer, owner, 2500, overage_reason="Shipping paid by us")
    assert over.overage_reason == "Shipping paid by us" and offer.distributions.count() == 2


def test_a_distribution_is_corrected_by_a_reversing_record_and_the_original_stays(offer_in, owner):
    from django.db import DatabaseError, transaction
    from offers.models import Distribution
    from offers.selectors import distribution_totals
    offer = offer_in(Status.CLAIMED)
    original = record(offer, owner, 2000)
    reversal = services.distribution_reverse(distribution=original, actor=owner, reason="Wrong card number")
    assert reversal.amount_minor == -2000 and reversal.reverses == original and reversal.reason == "Wrong card number"
    original.refresh_from_db()
    assert original.amount_minor == 2000 and distribution_totals(offer=offer)["total_minor"] == 0
    with pytest.raises(DomainError, match="corrected already"):
        services.distribution_reverse(distribution=original, actor=owner, reason="again")
    with pytest.raises(DomainError, match="a correction itself"):
        services.distribution_reverse(distribution=reversal, actor=owner, reason="undo")
    with pytest.raises(DomainError, match="Say why"):
        services.distribution_reverse(distribution=record(offer, owner, 100), actor=owner, reason=" ")
    with pytest.raises(DatabaseError), transaction.atomic():  # never by edit
        Distribution.objects.filter(pk=original.pk).update(amount_minor=1)
    record(offer, owner, 2400)  # the corrected amount fits within the offer again


def test_a_correction_reason_with_a_nul_character_is_refused_with_a_message(client_for, owner, offer_in):
    from django.urls import reverse
    offer = offer_in(Status.CLAIMED)
    original = record(offer, owner, 2000)
    url = reverse("offers:distribution_reverse", args=[offer.pk, original.pk])
    response = client_for(owner).post(url, {"reason": "Typo\x00"}, follow=True)
    assert response.status_code == 200 and "Reason: Null characters are not allowed." in response.content.decode()
    assert not offer.distributions.filter(reverses=original).exists()


def test_the_correct_action_posts_a_reversal_shown_in_the_history_once(client_for, owner, offer_in):
    import html
    from django.urls import reverse
    offer = offer_in(Status.CLAIMED)
    original = record(offer, owner, 2000)
    client = client_for(owner)
    url = reverse("offers:distribution_reverse", args=[offer.pk, original.pk])
    key = "a" * 32
    for _ in range(2):  # a double click
        client.post(url, {"reason": "Typo in the amount", "once": key})
    assert offer.distributions.filter(reverses=original).count() == 1
    page = html.unescape(client.get(reverse("offers:distributions", args=[offer.pk])).content.decode())
    assert f"Correction of #{original.pk}" in page and "Typo in the amount" in page and "-$20.00" in page
    assert "Corrected by" in page and "Amount minor" not in page


def test_a_viewer_cannot_correct_and_another_organization_gets_404(client_for, viewer, outsider, owner, offer_in):
    from django.urls import reverse
    offer = offer_in(Status.CLAIMED)
    original = record(offer, owner, 2000)
    url = reverse("offers:distribution_reverse", args=[offer.pk, original.pk])
    assert client_for(viewer).post(url, {"reason": "x"}).status_code == 403
    assert client_for(outsider).post(url, {"reason": "x"}).status_code == 404
    assert not offer.distributions.filter(reverses=original).exists()


def test_totals_show_per_program_and_overall(client_for, owner, offer_in):
    from django.urls import reverse
    record(offer_in(Status.CLAIMED), owner, 1000)
    record(offer_in(Status.COMPLETED), owner, 550)
    page = client_for(owner).get(reverse("offers:programs")).content.decode()
    assert 'id="distributed-overall">$15.50' in page


def test_the_distributions_page_takes_as_many_queries_for_many_records_as_for_few(client_for, owner, offer_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    offer = offer_in(Status.CLAIMED)
    client, url = client_for(owner), reverse("offers:distributions", args=[offer.pk])
    services.distribution_reverse(distribution=record(offer, owner, 100), actor=owner, reason="typo")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(4):
        services.distribution_reverse(distribution=record(offer, owner, 100), actor=owner, reason="typo")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few) and page.count("Correction of #") == 5


def test_the_admin_adds_no_distribution_past_the_service(client_for, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client = client_for(owner)
    assert client.get(reverse("admin:offers_distribution_add")).status_code == 403
    assert client.get(reverse("admin:offers_distribution_changelist")).status_code == 200
