"""JSON in and out for first-come drops: stock, holds and the waitlist. A hold is only ever shown to its
own member."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class StockOut(Schema):
    available = fields.Int(metadata={"description": "units nobody holds or bought"})
    sold_out = fields.Bool(metadata={"description": "no unit is available (some may come back when holds expire)"})
    stock = fields.Int()


class HoldIn(Schema):
    quantity = fields.Int(strict=True, load_default=1, validate=validate.Range(min=1, max=2**31 - 1))


class HoldOut(Schema):
    id = fields.Int()
    launch_id = fields.Int()
    quantity = fields.Int()
    source = fields.Str(metadata={"description": "first_come, waitlist or raffle"})
    status = fields.Str(metadata={"description": "held, ordered, expired or cancelled"})
    expires_at = fields.AwareDateTime(metadata={"description": "a held hold's units go back on sale then"})
    order_id = fields.Int(allow_none=True)


class WaitlistOut(Schema):
    status = fields.Str(metadata={"description": "waiting, offered, claimed, passed or left"})
    place = fields.Int(metadata={"description": "1 = offered the next unit to come back; 0 once offered"})
    hold_id = fields.Int(allow_none=True, metadata={"description": "the hold offered, to pay within the claim "
                                                                   "window"})
