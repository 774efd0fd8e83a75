"""JSON shapes of the demand API: the same answer as the dashboard page. Quantities are units; values are
integer minor units of the row's ``currency`` (one row per key and currency); weeks are ISO weeks of the
offers' close, in UTC ("2026-W47")."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from supplier.demand import week_start
from supplier.validation import MAX_ID


def _id(**kwargs):
    return fields.Int(strict=False, validate=validate.Range(min=1, max=MAX_ID), load_default=None, **kwargs)


def _iso_week(value: str) -> None:
    if week_start(value) is None:
        raise ValidationError(_l("A week like 2026-W47."))


class DemandQuery(Schema):
    supplier_id = _id(metadata={"description": "Whose demand (default: the first supplier you work for)"})
    product_id = _id()
    variant_id = _id()
    community_id = _id()
    region = fields.Str(load_default=None, validate=validate.Length(max=64), metadata={
        "description": "A pickup region; \"(none)\" for demand with no region"})
    week_from = fields.Str(load_default=None, validate=_iso_week, metadata={
        "description": "First ISO week of the offers' close, e.g. 2026-W01"})
    week_to = fields.Str(load_default=None, validate=_iso_week, metadata={
        "description": "Last ISO week of the offers' close (included)"})
    currency = fields.Str(load_default=None, validate=validate.Regexp(r"^[A-Z]{3}$"))


class DemandFiltersOut(Schema):
    supplier_id = fields.Int()
    product_id = fields.Int(allow_none=True)
    variant_id = fields.Int(allow_none=True)
    community_id = fields.Int(allow_none=True)
    region = fields.Str(allow_none=True)
    week_from = fields.Str(allow_none=True)
    week_to = fields.Str(allow_none=True)
    currency = fields.Str(allow_none=True)


class DemandTotalOut(Schema):
    key = fields.Str(metadata={"description": "The product, variant or community id, the ISO week, or the region "
                                              "(\"(none)\" for none)"})
    label = fields.Str(metadata={"description": "Its name (empty for no region)"})
    currency = fields.Str()
    pending_quantity = fields.Int(metadata={"description": "Units in open pledges"})
    pending_pledges = fields.Int(metadata={"description": "How many open pledges"})
    pending_value = fields.Int(metadata={"description": "Pending units at each offer's current tier price"})
    committed_quantity = fields.Int(metadata={"description": "Units in orders of offers that closed successfully"})
    committed_value = fields.Int(metadata={"description": "Those units at the purchase order's price"})


def _rows():
    return fields.List(fields.Nested(DemandTotalOut))


class DemandTotalsOut(Schema):
    product = _rows()
    variant = _rows()
    week = _rows()
    community = _rows()
    region = _rows()


class DemandOpenOfferOut(Schema):
    offer_id = fields.Int()
    product = fields.Str()
    variant = fields.Str()
    currency = fields.Str()
    pooled_quantity = fields.Int(metadata={"description": "Units pledged in every community: the tier's basis"})
    pending_quantity = fields.Int(metadata={"description": "Of which in the communities and regions asked for"})
    current_price = fields.Int(metadata={"description": "Wholesale unit price at the pooled total now"})
    next_tier_quantity = fields.Int(allow_none=True, metadata={"description": "Null at the top tier"})
    next_tier_price = fields.Int(allow_none=True)
    to_next_tier = fields.Int(allow_none=True, metadata={"description": "Units still needed for the next tier"})
    next_tier_percent = fields.Int()
    moq = fields.Int()
    to_moq = fields.Int(metadata={"description": "Units still needed for the MOQ (0 when reached)"})
    closes_at = fields.DateTime()


class DemandOut(Schema):
    filters = fields.Nested(DemandFiltersOut)
    totals = fields.Nested(DemandTotalsOut)
    open_offers = fields.List(fields.Nested(DemandOpenOfferOut))
