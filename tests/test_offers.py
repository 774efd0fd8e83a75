"""Supplier offers: price tiers by pooled quantity, the checks on their terms, the status moves, what
members who have pledged are protected from, and who may see what — as services, pages and API."""

from datetime import timedelta

import pytest

from core import clock
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from supplier import offers
from supplier.models import Offer, OfferStatus
from tests.catalog_helpers import count
from tests.factories import login_as, make_user
from tests.offer_helpers import NOW, TIERS, fresh_offer, make_offer, tier_pairs, variant_with_staff


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.freeze(NOW)


def _form(**overrides) -> dict:
    """The offer form as a supplier fills it in: the issue's three tiers, two rows left blank."""
    data = {"moq": "100", "capacity": "1000", "case_pack": "6", "lead_time_days": "3",
            "opens_at": "2026-12-01T09:00", "closes_at": "2026-12-08T20:00", "timezone": "UTC",
            "tiers-0-min_quantity": "1", "tiers-0-unit_price": "30.00",
            "tiers-1-min_quantity": "100", "tiers-1-unit_price": "26.00",
            "tiers-2-min_quantity": "300", "tiers-2-unit_price": "22.00",
            "tiers-3-min_quantity": "", "tiers-3-unit_price": "",
            "tiers-4-min_quantity": "", "tiers-4-unit_price": ""}
    return {**data, **overrides}


def _create(staff, variant, **overrides):
    terms = {"moq": 100, "capacity": 1000, "opens_at": NOW, "closes_at": NOW + timedelta(days=7), "tiers": TIERS}
    return offers.create_offer(staff, variant.id, **{**terms, **overrides})


# --- services ---------------------------------------------------------------------------------------------

def test_everyone_pays_the_price_of_the_tier_the_pooled_total_reaches():
    variant, staff = variant_with_staff(case_pack=12, lead_time_days=5)
    offer = _create(staff, variant)

    assert [offer.price_for(q) for q in (1, 99, 100, 299, 300, 5000)] == [3000, 3000, 2600, 2600, 2200, 2200]
    assert offer.next_tier(99).min_quantity == 100 and offer.next_tier(300) is None
    assert (offer.status, offer.currency, offer.case_pack, offer.lead_time_days) == (
        OfferStatus.DRAFT, variant.currency, 12, 5)


@pytest.mark.parametrize("tiers, code", [
    ([], "tiers_required"),
    ([(2, 3000), (100, 2600)], "first_tier_not_one"),
    ([(1, 3000), (300, 2200), (100, 2600)], "tiers_out_of_order"),
    ([(1, 3000), (100, 2600), (100, 2500)], "tiers_out_of_order"),
    ([(1, 2600), (100, 3000)], "tier_price_rises"),
    ([(1, 3000), (100, -1)], "bad_tier"),
    ([(1, 3000), (100, "26.00")], "bad_tier"),
    ([(q, 3000 - q) for q in range(1, 12)], "too_many_tiers"),
])
def test_a_tier_list_of_the_wrong_shape_is_refused_and_nothing_is_saved(tiers, code):
    variant, staff = variant_with_staff()
    with pytest.raises(DomainError) as refused:
        _create(staff, variant, tiers=tiers)
    assert (refused.value.code, refused.value.field, refused.value.status) == (code, "tiers", 422)
    assert count(Offer) == 0


@pytest.mark.parametrize("overrides, code, field", [
    ({"capacity": 99}, "capacity_below_moq", "capacity"),
    ({"moq": 0}, "out_of_range", "moq"),
    ({"capacity": 200}, "tier_beyond_capacity", "tiers"),
    ({"closes_at": NOW - timedelta(hours=1), "opens_at": NOW - timedelta(days=1)}, "closes_in_past", "closes_at"),
    ({"closes_at": NOW}, "window_backwards", "closes_at"),
    ({"closes_at": NOW.replace(tzinfo=None)}, "bad_time", "closes_at"),
    ({"closes_at": NOW + timedelta(days=3650)}, "closes_too_late", "closes_at"),
])
def test_terms_that_cannot_work_are_refused_on_their_field(overrides, code, field):
    variant, staff = variant_with_staff()
    with pytest.raises(DomainError) as refused:
        _create(staff, variant, **overrides)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_staff_of_another_supplier_cannot_make_or_touch_an_offer():
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff)
    _other_variant, stranger = variant_with_staff()
    with pytest.raises(NotFound):
        _create(stranger, variant)
    for use_case in (offers.publish_offer, offers.cancel_offer):
        with pytest.raises(NotFound):
            use_case(stranger, offer.id)
    with pytest.raises(NotFound):
        offers.update_offer(stranger, offer.id, moq=1)


def test_an_offer_is_published_then_cancelled_and_illegal_moves_are_refused():
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff)
    assert offers.publish_offer(staff, offer.id).status == OfferStatus.OPEN
    with pytest.raises(Conflict) as again:
        offers.publish_offer(staff, offer.id)
    assert again.value.code == "illegal_transition"
    cancelled = offers.cancel_offer(staff, offer.id)
    assert cancelled.status == OfferStatus.CANCELLED and cancelled.closed_at == NOW
    for use_case in (offers.publish_offer, offers.cancel_offer):
        with pytest.raises(Conflict) as refused:
            use_case(staff, offer.id)
        assert refused.value.code == "illegal_transition"
    with pytest.raises(Conflict) as closed:
        offers.update_offer(staff, offer.id, moq=50)
    assert closed.value.code == "offer_not_editable"


def test_closing_is_not_the_suppliers_move_but_goes_through_the_same_gate():
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff)
    with pytest.raises(Conflict):
        offers.change_status(offer, OfferStatus.SUCCEEDED)  # a draft never closes
    offers.change_status(offer, OfferStatus.OPEN)
    offers.change_status(offer, OfferStatus.FAILED)
    assert offer.closed_at == NOW
    with pytest.raises(Conflict):
        offers.change_status(offer, OfferStatus.OPEN)


def test_an_offer_on_a_deactivated_variant_is_neither_made_nor_published():
    variant, staff = variant_with_staff()
    draft = make_offer(variant, staff)
    fresh_offer(draft.id).variant.active = False
    db.session.commit()
    for attempt in (lambda: _create(staff, variant), lambda: offers.publish_offer(staff, draft.id)):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "variant_inactive"
    assert fresh_offer(draft.id).status == OfferStatus.DRAFT and count(Offer) == 1


def test_an_offer_with_pledges_cannot_be_cancelled():
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff, status=OfferStatus.OPEN, pledged=5)
    with pytest.raises(Conflict) as refused:
        offers.cancel_offer(staff, offer.id)
    assert refused.value.code == "offer_has_pledges"
    assert fresh_offer(offer.id).status == OfferStatus.OPEN


@pytest.mark.parametrize("change, code", [
    ({"tiers": [(1, 3000), (100, 2700), (300, 2200)]}, "tiers_locked"),
    ({"tiers": [(1, 3000), (200, 2600), (300, 2200)]}, "tiers_locked"),  # 100–199 would cost 30.00 again
    ({"moq": 101}, "moq_locked"),
    ({"capacity": 349}, "capacity_locked"),
    ({"case_pack": 12}, "case_pack_locked"),
    ({"closes_at": NOW + timedelta(days=6)}, "closing_locked"),
    ({"opens_at": NOW + timedelta(hours=1)}, "opening_locked"),
])
def test_pledged_members_are_never_made_worse_off(change, code):
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff, status=OfferStatus.OPEN, pledged=350)
    with pytest.raises(Conflict) as refused:
        offers.update_offer(staff, offer.id, **change)
    assert (refused.value.code, refused.value.status) == (code, 409)
    stored = fresh_offer(offer.id)
    assert (tier_pairs(stored), stored.moq, stored.capacity) == (TIERS, 100, 1000)


def test_with_pledges_prices_and_the_moq_may_still_fall_and_time_and_capacity_grow():
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff, status=OfferStatus.OPEN, pledged=150)
    offers.update_offer(staff, offer.id, tiers=[(1, 2900), (100, 2600), (200, 2400), (300, 2000)], moq=80,
                        capacity=2000, closes_at=NOW + timedelta(days=10))
    stored = fresh_offer(offer.id)
    assert tier_pairs(stored) == [(1, 2900), (100, 2600), (200, 2400), (300, 2000)]
    assert (stored.moq, stored.capacity, stored.closes_at) == (80, 2000, NOW + timedelta(days=10))
    assert stored.price_for(stored.pledged_quantity) == 2600


def test_without_pledges_a_draft_may_change_anything():
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff)
    offers.update_offer(staff, offer.id, tiers=[(1, 3500), (50, 3100)], moq=200, capacity=None, case_pack=24)
    stored = fresh_offer(offer.id)
    assert (tier_pairs(stored), stored.moq, stored.capacity, stored.case_pack) == (
        [(1, 3500), (50, 3100)], 200, None, 24)


def test_an_open_offer_past_its_close_can_no_longer_be_changed():
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff, status=OfferStatus.OPEN)
    clock.advance(timedelta(days=8))
    with pytest.raises(Conflict) as refused:
        offers.update_offer(staff, offer.id, closes_at=NOW + timedelta(days=20))
    assert refused.value.code == "offer_closed"


def test_shopkeepers_are_shown_only_offers_open_right_now():
    variant, staff = variant_with_staff()
    live = make_offer(variant, staff, status=OfferStatus.OPEN)
    make_offer(variant, staff, status=OfferStatus.OPEN, opens_in=timedelta(days=1))
    make_offer(variant, staff)
    make_offer(variant, staff, status=OfferStatus.CANCELLED)
    ending = make_offer(variant, staff, status=OfferStatus.OPEN, closes_in=timedelta(hours=1))

    found = offers.open_offers_for_shopkeepers(clock.now())
    assert [offer.id for offer in found] == [ending.id, live.id]
    assert found[0].variant.product.name and tier_pairs(found[0]) == TIERS
    assert offers.open_offers_for_shopkeepers(NOW + timedelta(hours=2)) == [fresh_offer(live.id)]


# --- pages ------------------------------------------------------------------------------------------------

def test_a_supplier_creates_an_offer_from_a_variant_and_publishes_it(client):
    variant, staff = variant_with_staff()
    login_as(client, staff)
    manage = client.get(f"/catalog/products/{variant.product_id}").get_data(as_text=True)
    assert f"/catalog/variants/{variant.id}/offers/new" in manage
    form = client.get(f"/catalog/variants/{variant.id}/offers/new").get_data(as_text=True)
    assert 'type="datetime-local"' in form
    assert 'value="2026-12-01T08:00"' in form and 'value="2026-12-08T08:00"' in form  # now, and a week on

    created = client.post(f"/catalog/variants/{variant.id}/offers/new",
                          data=_form(timezone="Asia/Shanghai", opens_at="2026-12-01T17:00"))
    assert created.status_code == 302, created.get_data(as_text=True)
    offer = db_offer = fresh_offer(int(created.headers["Location"].rsplit("/", 1)[1]))
    assert tier_pairs(db_offer) == TIERS and offer.status == OfferStatus.DRAFT
    assert offer.opens_at == NOW + timedelta(hours=1)  # 17:00 in Shanghai is 09:00 UTC
    assert offer.closes_at.hour == 12 and (offer.moq, offer.capacity, offer.case_pack) == (100, 1000, 6)

    published = client.post(f"/catalog/offers/{offer.id}/publish")
    assert published.status_code == 302 and fresh_offer(offer.id).status == OfferStatus.OPEN
    listed = client.get("/catalog/offers").get_data(as_text=True)
    assert variant.product.name in listed and 'class="progress"' in listed and "30.00" in listed


def test_the_list_shows_the_pooled_total_against_the_moq_and_the_current_tier(client):
    variant, staff = variant_with_staff()
    make_offer(variant, staff, status=OfferStatus.OPEN, pledged=150)
    page = login_as(client, staff).get("/catalog/offers").get_data(as_text=True)
    assert "150 of 100 pledged (MOQ)" in page and 'style="width: 100%"' in page
    assert "26.00" in page and "150 more" in page  # the next tier, 22.00, starts at 300


@pytest.mark.parametrize("overrides, message", [
    ({"tiers-1-unit_price": ""}, "both a quantity and a price"),
    ({"tiers-1-unit_price": "cheap"}, "Enter an amount like 12.50"),
    ({"tiers-0-min_quantity": "5"}, "must start at 1 unit"),
    ({"tiers-2-unit_price": "27.00"}, "cannot cost more"),
    ({"capacity": "50"}, "at least the MOQ"),
    ({"closes_at": "2026-11-30T20:00"}, "close after it opens"),
    ({"closes_at": "not a time"}, "Not a valid datetime value"),
    ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
])
def test_a_refused_offer_form_comes_back_with_the_reason_and_nothing_is_saved(client, overrides, message):
    variant, staff = variant_with_staff()
    login_as(client, staff)
    refused = client.post(f"/catalog/variants/{variant.id}/offers/new", data=_form(**overrides))
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert count(Offer) == 0


def test_raising_a_price_after_pledges_is_refused_on_the_page_and_lowering_is_allowed(client):
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff, status=OfferStatus.OPEN, pledged=150)
    login_as(client, staff)
    shown = client.get(f"/catalog/offers/{offer.id}").get_data(as_text=True)
    assert 'value="26.00"' in shown and "Members have pledged" in shown

    raised = client.post(f"/catalog/offers/{offer.id}", data=_form(**{"tiers-1-unit_price": "27.00",
                                                                         "opens_at": "2026-12-01T08:00",
                                                                         "closes_at": "2026-12-08T08:00"}))
    assert raised.status_code == 409
    assert "no tier&#39;s price may rise" in raised.get_data(as_text=True)
    assert tier_pairs(fresh_offer(offer.id)) == TIERS

    moq = client.post(f"/catalog/offers/{offer.id}", data=_form(moq="120", opens_at="2026-12-01T08:00",
                                                                 closes_at="2026-12-08T08:00"))
    assert moq.status_code == 409 and "the MOQ may not rise" in moq.get_data(as_text=True)

    lowered = client.post(f"/catalog/offers/{offer.id}", data=_form(**{"tiers-1-unit_price": "25.00", "moq": "90",
                                                                        "opens_at": "2026-12-01T08:00",
                                                                        "closes_at": "2026-12-08T08:00"}))
    assert lowered.status_code == 302
    stored = fresh_offer(offer.id)
    assert (tier_pairs(stored)[1], stored.moq) == ((100, 2500), 90)


def test_cancelling_an_offer_with_pledges_is_refused_on_the_page(client):
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff, status=OfferStatus.OPEN, pledged=3)
    refused = login_as(client, staff).post(f"/catalog/offers/{offer.id}/cancel")
    assert refused.status_code == 409 and "cannot be cancelled" in refused.get_data(as_text=True)
    assert fresh_offer(offer.id).status == OfferStatus.OPEN

    fresh = make_offer(variant, staff)
    assert client.post(f"/catalog/offers/{fresh.id}/cancel").status_code == 302
    assert fresh_offer(fresh.id).status == OfferStatus.CANCELLED
    again = client.post(f"/catalog/offers/{fresh.id}/publish")
    assert again.status_code == 409 and fresh_offer(fresh.id).status == OfferStatus.CANCELLED


def test_staff_of_another_supplier_get_404_on_its_offer_pages(client):
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff)
    _theirs, stranger = variant_with_staff()
    login_as(client, stranger)
    assert client.get(f"/catalog/offers/{offer.id}").status_code == 404
    assert client.get(f"/catalog/variants/{variant.id}/offers/new").status_code == 404
    assert client.post(f"/catalog/offers/{offer.id}", data=_form()).status_code == 404
    assert client.post(f"/catalog/offers/{offer.id}/publish").status_code == 404
    assert client.post(f"/catalog/offers/{offer.id}/cancel").status_code == 404
    assert variant.product.name not in client.get("/catalog/offers").get_data(as_text=True)
    assert fresh_offer(offer.id).status == OfferStatus.DRAFT


def test_a_shopkeeper_cannot_reach_the_offer_pages(client):
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff)
    login_as(client, make_user())
    assert client.get(f"/catalog/offers/{offer.id}").status_code in (403, 404)
    assert client.get("/catalog/offers").status_code == 403


def test_with_nothing_pledged_the_first_tier_applies_and_the_second_is_next():
    from supplier.models import Offer, PriceTier

    offer = Offer(tiers=[PriceTier(min_quantity=1, unit_price=3000), PriceTier(min_quantity=100, unit_price=2600),
                         PriceTier(min_quantity=300, unit_price=2200)])
    assert (offer.price_for(0), offer.next_tier(0).min_quantity) == (3000, 100)
    assert (offer.price_for(99), offer.next_tier(99).min_quantity) == (3000, 100)
    assert (offer.price_for(100), offer.next_tier(100).min_quantity) == (2600, 300)
    assert (offer.price_for(300), offer.next_tier(300)) == (2200, None)
