"""The offers' JSON API mirrors the pages: the same services, 422 with fields for bad input, 409 for
changes that pledged members are protected from, 404 for other suppliers' offers."""

from datetime import timedelta

import pytest

from accounts.models import Role
from core import clock
from supplier.models import Offer, OfferStatus
from tests.catalog_helpers import count
from tests.factories import make_user, token_headers
from tests.offer_helpers import NOW, TIERS, fresh_offer, make_offer, tier_pairs, variant_with_staff


@pytest.fixture(autouse=True)
def _frozen_clock():
    clock.freeze(NOW)


def _body(variant, **overrides) -> dict:
    return {"variant_id": variant.id, "moq": 100, "capacity": 1000, "opens_at": "2026-12-01T08:00:00Z",
            "closes_at": "2026-12-08T20:00:00+08:00",
            "tiers": [{"min_quantity": q, "unit_price": p} for q, p in TIERS], **overrides}


def test_a_supplier_creates_publishes_and_reads_an_offer_through_the_api(client):
    variant, staff = variant_with_staff()
    headers = token_headers(staff)
    created = client.post(f"/api/v1/suppliers/{variant.supplier_id}/offers", headers=headers, json=_body(variant))
    assert created.status_code == 201, created.json
    offer = created.json
    assert (offer["status"], offer["currency"], offer["case_pack"], offer["lead_time_days"]) == ("draft", "CNY", 6, 3)
    assert offer["closes_at"].startswith("2026-12-08T12:00:00") and offer["current_price"] == 3000
    assert offer["next_tier"] == {"min_quantity": 100, "unit_price": 2600}
    assert offer["tiers"] == [{"min_quantity": q, "unit_price": p} for q, p in TIERS]

    published = client.post(f"/api/v1/offers/{offer['id']}/publish", headers=headers)
    assert published.status_code == 200 and published.json["status"] == "open"
    again = client.post(f"/api/v1/offers/{offer['id']}/publish", headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "illegal_transition"
    listed = client.get(f"/api/v1/suppliers/{variant.supplier_id}/offers", headers=headers)
    assert [o["id"] for o in listed.json] == [offer["id"]]
    assert client.get(f"/api/v1/offers/{offer['id']}", headers=headers).json["status"] == "open"
    cancelled = client.post(f"/api/v1/offers/{offer['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and fresh_offer(offer["id"]).status == OfferStatus.CANCELLED


@pytest.mark.parametrize("overrides, field", [
    ({"tiers": [{"min_quantity": 2, "unit_price": 3000}]}, "tiers"),
    ({"tiers": [{"min_quantity": 1, "unit_price": 2000}, {"min_quantity": 10, "unit_price": 2500}]}, "tiers"),
    ({"tiers": []}, "tiers"),
    ({"tiers": "1-99: 30"}, "tiers"),
    ({"tiers": [{"min_quantity": 1, "unit_price": "30.00"}]}, "tiers"),
    ({"moq": 0}, "moq"),
    ({"capacity": 50}, "capacity"),
    ({"opens_at": "tomorrow"}, "opens_at"),
    ({"closes_at": "0001-01-01T00:00:00+05:00"}, "closes_at"),
    ({"closes_at": "9999-12-31T23:59:59-05:00"}, "closes_at"),
    ({"variant_id": 2**31 - 1}, "variant_id"),
])
def test_bad_terms_get_a_422_that_names_the_field(client, overrides, field):
    variant, staff = variant_with_staff()
    refused = client.post(f"/api/v1/suppliers/{variant.supplier_id}/offers", headers=token_headers(staff),
                          json=_body(variant, **overrides))
    assert refused.status_code == 422, refused.json
    assert field in refused.json["error"]["fields"]
    assert count(Offer) == 0


def test_pledged_members_are_protected_through_the_api_too(client):
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff, status=OfferStatus.OPEN, pledged=150)
    headers = token_headers(staff)
    dearer = [{"min_quantity": 1, "unit_price": 3000}, {"min_quantity": 100, "unit_price": 2800}]
    raised = client.patch(f"/api/v1/offers/{offer.id}", headers=headers, json={"tiers": dearer})
    assert raised.status_code == 409
    assert raised.json["error"]["code"] == "tiers_locked" and "tiers" in raised.json["error"]["fields"]
    moq = client.patch(f"/api/v1/offers/{offer.id}", headers=headers, json={"moq": 150})
    assert moq.status_code == 409 and moq.json["error"]["code"] == "moq_locked"
    unlimited = client.patch(f"/api/v1/offers/{offer.id}", headers=headers, json={"capacity": None, "moq": 50})
    assert unlimited.status_code == 200 and (unlimited.json["capacity"], unlimited.json["moq"]) == (None, 50)
    cancel = client.post(f"/api/v1/offers/{offer.id}/cancel", headers=headers)
    assert cancel.status_code == 409 and cancel.json["error"]["code"] == "offer_has_pledges"
    stored = fresh_offer(offer.id)
    assert (tier_pairs(stored), stored.status, stored.closes_at) == (TIERS, OfferStatus.OPEN, NOW + timedelta(days=7))


def test_other_suppliers_and_shopkeepers_get_404_and_operators_may_read(client):
    variant, staff = variant_with_staff()
    offer = make_offer(variant, staff)
    _theirs, stranger = variant_with_staff()
    for headers in (token_headers(stranger), token_headers(make_user(roles=(Role.SHOPKEEPER,)))):
        assert client.get(f"/api/v1/offers/{offer.id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/suppliers/{variant.supplier_id}/offers", headers=headers).status_code == 404
        assert client.patch(f"/api/v1/offers/{offer.id}", headers=headers, json={"moq": 1}).status_code == 404
        assert client.post(f"/api/v1/offers/{offer.id}/publish", headers=headers).status_code == 404
        assert client.post(f"/api/v1/suppliers/{variant.supplier_id}/offers", headers=headers,
                           json=_body(variant)).status_code == 404
    operator = token_headers(make_user(roles=(Role.OPERATOR,)))
    assert client.get(f"/api/v1/offers/{offer.id}", headers=operator).json["id"] == offer.id
    assert client.post(f"/api/v1/offers/{offer.id}/publish", headers=operator).status_code == 404
    assert fresh_offer(offer.id).status == OfferStatus.DRAFT


def test_a_variant_of_another_supplier_cannot_be_offered_under_this_one(client):
    variant, staff = variant_with_staff()
    theirs, _their_staff = variant_with_staff()
    refused = client.post(f"/api/v1/suppliers/{variant.supplier_id}/offers", headers=token_headers(staff),
                          json=_body(theirs))
    assert refused.status_code == 422 and refused.json["error"]["code"] == "unknown_variant"
