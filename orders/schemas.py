"""JSON shapes of the purchase orders API (suppliers' systems). Amounts are integer minor units of the
purchase order's ``currency``; times come out in UTC. Lines name a community and a region, never a member."""

from marshmallow import Schema, fields, validate

from supplier.validation import MAX_ID

MAX_UNITS = 10_000_000


class PurchaseOrderLineOut(Schema):
    id = fields.Int()
    community = fields.Str(attribute="community_name")
    region = fields.Str()
    quantity = fields.Int(metadata={"description": "Units ordered at close for this community's pickup region"})
    dropped_quantity = fields.Int(attribute="dropped", metadata={"description": "Counted out after close"})
    shipped_quantity = fields.Int(attribute="shipped", allow_none=True)
    received_quantity = fields.Int(attribute="received", allow_none=True)


class PurchaseOrderOut(Schema):
    id = fields.Int()
    offer_id = fields.Int()
    status = fields.Str(metadata={"description": "issued, confirmed, shipped or received"})
    quantity = fields.Int()
    cases = fields.Int()
    unit_price = fields.Int(metadata={"description": "Wholesale, minor units per unit"})
    currency = fields.Str()
    total_amount = fields.Int(metadata={"description": "quantity × unit_price, as ordered"})
    amount_owed = fields.Int(metadata={"description": "unit_price × the units delivered"})
    confirmed_at = fields.DateTime(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(PurchaseOrderLineOut))


class ShippedLineIn(Schema):
    line_id = fields.Int(strict=True, required=True, validate=validate.Range(min=1, max=MAX_ID))
    shipped_quantity = fields.Int(strict=True, required=True, validate=validate.Range(min=0, max=MAX_UNITS))


class ShipIn(Schema):
    lines = fields.List(fields.Nested(ShippedLineIn), load_default=list, validate=validate.Length(max=1000),
                        metadata={"description": "Shipped units per line; a line left out ships in full "
                                                 "(ordered − dropped). Less is a shortfall, refunded to members."})
