"""JSON in and out for first-come drops: stock, holds and the waitlist. A hold is only ever shown to its
own member."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shopkeeper.schemas import Text


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


class HoldPayIn(Schema):
    method = fields.Str(load_default="offline", validate=validate.OneOf(["offline", "card"]), metadata={
        "description": "offline (the default): pay the shopkeeper at pickup; card: pay by card (only when the "
                       "app takes cards)"})
    payment_method = Text(load_default=None, validate=validate.Length(min=1, max=120), metadata={
        "description": "card only: a payment method collected by Stripe.js (pm_…) to pay with now — also to try "
                       "another card after a decline; without it the payment waits for `payment.client_secret` "
                       "or the pay page (`payment.pay_url`)"})

    @validates_schema
    def _card_only(self, data, **_kwargs):
        if data.get("payment_method") and data.get("method") != "card":
            raise ValidationError(_("A payment method is for paying by card."), "payment_method")


class HoldPaymentOut(Schema):
    """Dumped from a ``launches.buy_api.PaymentView``."""

    id = fields.Int()
    method = fields.Str(metadata={"description": "offline or card"})
    status = fields.Str(metadata={"description": "pending, requires_action (a card payment waiting for the "
                                                 "member), failed (declined: try again), succeeded, cancelled"})
    amount = fields.Int(metadata={"description": "minor units"})
    currency = fields.Str()
    pay_by = fields.AwareDateTime(allow_none=True, metadata={
        "description": "card: unpaid then, the order is cancelled and the units go back on sale"})
    reason = fields.Str(allow_none=True, metadata={"description": "why the card payment did not go through"})
    client_secret = fields.Str(allow_none=True, metadata={"description": "card: for Stripe.js, while it waits"})
    pay_url = fields.Str(allow_none=True, metadata={"description": "card: the pay page, to pay in a browser"})


class HoldPaidOut(HoldOut):
    payment = fields.Nested(HoldPaymentOut, allow_none=True)


class WaitlistOut(Schema):
    status = fields.Str(metadata={"description": "waiting, offered, claimed, passed or left"})
    place = fields.Int(metadata={"description": "1 = offered the next unit to come back; 0 once offered"})
    hold_id = fields.Int(allow_none=True, metadata={"description": "the hold offered, to pay within the claim "
                                                                   "window"})
