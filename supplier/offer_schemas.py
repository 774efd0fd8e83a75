"""JSON shapes of the offers API. Prices are integer minor units of the offer's ``currency``; times are
ISO 8601 (a time without a zone is read as UTC) and come out in UTC."""

from datetime import UTC

from marshmallow import Schema, fields, validate

from supplier.models import OfferStatus
from supplier.offer_rules import MAX_QUANTITY, MAX_TIERS
from supplier.validation import MAX_CASE_PACK, MAX_ID, MAX_LEAD_TIME_DAYS, MAX_PRICE


def _count(minimum: int, maximum: int, **kwargs):
    return fields.Int(strict=True, validate=validate.Range(min=minimum, max=maximum), **kwargs)


def _time(**kwargs):
    return fields.AwareDateTime(default_timezone=UTC, **kwargs)


class TierIn(Schema):
    min_quantity = _count(1, MAX_QUANTITY, required=True,
                          metadata={"description": "From this pooled quantity (all communities) on"})
    unit_price = _count(0, MAX_PRICE, required=True, metadata={"description": "Wholesale, minor units per unit"})


class TierOut(Schema):
    min_quantity = fields.Int()
    unit_price = fields.Int()


def _tiers(**kwargs):
    return fields.List(fields.Nested(TierIn), validate=validate.Length(min=1, max=MAX_TIERS), metadata={
        "description": "From 1 unit up, thresholds rising, prices never rising"}, **kwargs)


class OfferIn(Schema):
    variant_id = _count(1, MAX_ID, required=True)
    moq = _count(1, MAX_QUANTITY, required=True, metadata={"description": "Minimum order for the whole offer"})
    capacity = _count(1, MAX_QUANTITY, load_default=None, allow_none=True,
                      metadata={"description": "The most that can be made; null: no limit"})
    opens_at = _time(required=True)
    closes_at = _time(required=True)
    tiers = _tiers(required=True)
    case_pack = _count(1, MAX_CASE_PACK, metadata={"description": "Default: the variant's"})
    lead_time_days = _count(0, MAX_LEAD_TIME_DAYS, metadata={"description": "Default: the variant's"})


class OfferPatch(Schema):
    moq = _count(1, MAX_QUANTITY)
    capacity = _count(1, MAX_QUANTITY, allow_none=True)
    opens_at = _time()
    closes_at = _time()
    tiers = _tiers()
    case_pack = _count(1, MAX_CASE_PACK)
    lead_time_days = _count(0, MAX_LEAD_TIME_DAYS)


class OfferOut(Schema):
    id = fields.Int()
    supplier_id = fields.Int()
    variant_id = fields.Int()
    product_id = fields.Int(attribute="variant.product_id")
    product_name = fields.Str(attribute="variant.product.name")
    variant_name = fields.Str(attribute="variant.name")
    status = fields.Enum(OfferStatus, by_value=True)
    currency = fields.Str()
    moq = fields.Int()
    capacity = fields.Int(allow_none=True)
    case_pack = fields.Int()
    lead_time_days = fields.Int()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    pledged_quantity = fields.Int(metadata={"description": "Units pledged in every community together"})
    current_price = fields.Method("_current_price", metadata={
        "type": "integer", "description": "Unit price at the pooled total now, minor units"})
    next_tier = fields.Method("_next_tier", allow_none=True, metadata={
        "type": "object", "nullable": True, "description": "The next tier up, or null at the top"})
    tiers = fields.Nested(TierOut, many=True)

    def _current_price(self, offer):
        return offer.price_for(offer.pledged_quantity)

    def _next_tier(self, offer):
        tier = offer.next_tier(offer.pledged_quantity)
        return TierOut().dump(tier) if tier else None
