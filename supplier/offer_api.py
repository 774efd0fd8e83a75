"""JSON: a supplier's group-buy offers. Routed on ``supplier.api.blp``, which imports this module."""

from flask_login import current_user

from core.auth import login_required
from supplier import access, offers
from supplier.api import blp
from supplier.offer_schemas import OfferIn, OfferOut, OfferPatch


def _pairs(data: dict) -> dict:
    if "tiers" in data:
        data["tiers"] = [(tier["min_quantity"], tier["unit_price"]) for tier in data["tiers"]]
    return data


@blp.get("/suppliers/<int:supplier_id>/offers")
@login_required
@blp.response(200, OfferOut(many=True))
def list_offers(supplier_id: int):
    """A supplier's offers, newest first (its staff and operators)."""
    return offers.supplier_offers(access.readable_supplier(current_user, supplier_id).id)


@blp.post("/suppliers/<int:supplier_id>/offers")
@login_required
@blp.arguments(OfferIn)
@blp.response(201, OfferOut)
def create_offer(data, supplier_id: int):
    """A draft offer on one of the supplier's variants (its staff). 422 with ``fields`` for bad terms."""
    supplier = access.managed_supplier(current_user, supplier_id)
    data = _pairs(data)
    return offers.create_offer(current_user, data.pop("variant_id"), supplier_id=supplier.id, **data)


@blp.get("/offers/<int:offer_id>")
@login_required
@blp.response(200, OfferOut)
def get_offer(offer_id: int):
    """An offer (its supplier's staff and operators)."""
    return offers.readable_offer(current_user, offer_id)


@blp.patch("/offers/<int:offer_id>")
@login_required
@blp.arguments(OfferPatch)
@blp.response(200, OfferOut)
def update_offer(changes, offer_id: int):
    """Change a draft or open offer's terms (its staff). 409 ``tiers_locked``, ``moq_locked``… when
    members have pledged and the change would make them worse off."""
    return offers.update_offer(current_user, offer_id, **_pairs(changes))


@blp.post("/offers/<int:offer_id>/publish")
@login_required
@blp.response(200, OfferOut)
def publish_offer(offer_id: int):
    """Draft → open (its staff). 409 ``illegal_transition`` from any other status."""
    return offers.publish_offer(current_user, offer_id)


@blp.post("/offers/<int:offer_id>/cancel")
@login_required
@blp.response(200, OfferOut)
def cancel_offer(offer_id: int):
    """Draft or open → cancelled, while nobody has pledged (its staff). 409 ``offer_has_pledges``."""
    return offers.cancel_offer(current_user, offer_id)
