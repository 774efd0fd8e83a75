"""JSON in and out for subscription boxes. In: bounded so that nothing unchecked reaches the services
(dates within the calendar's working years, ids and counts within an INTEGER). Out: dumped from
``subscriptions.queries`` views; money in integer minor units with its currency, dates ISO, instants UTC.
A member's subscription is shown to that member and the community's shopkeepers only."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.extensions import db
from shopkeeper.models import PickupPoint
from shopkeeper.schemas import Id, PickupPointOut, Text
from subscriptions.calendar import Cadence
from subscriptions.models import Fulfilment, PaymentChoice
from subscriptions.plans import MAX_CUTOFF_HOURS, MAX_ITEMS, MAX_LEAD_DAYS
from subscriptions.queries import PER_PAGE, PER_PAGE_MAX

MAX_INT = 2**31 - 1
#: the years a plan's dates may name: the calendar walks from a plan's start to a date, so both are bounded
DATES = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31),
                       error=_l("Choose a date between 2000 and 2100."))


def _date(**kwargs) -> fields.Date:
    return fields.Date(validate=DATES, **kwargs)


class ItemIn(Schema):
    variant_id = Id(required=True)
    quantity = fields.Int(strict=True, load_default=1, validate=validate.Range(min=1, max=999))
    lead_time_days = fields.Int(strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_LEAD_DAYS),
                                metadata={"description": "days before delivery the item leaves the supplier"})


class PlanSwapIn(Schema):
    variant_id = Id(required=True)
    alternative_id = Id(required=True)


def _items(**kwargs) -> fields.List:
    return fields.List(fields.Nested(ItemIn), validate=validate.Length(min=1, max=MAX_ITEMS), **kwargs)


class PlanPatchIn(Schema):
    """A plan's changes: the fields given change, the rest stay. Cadence, weekday, start, delivery hour,
    cut-off and fulfilment change only on a draft."""

    name = Text(validate=validate.Length(min=1, max=120))
    description = Text(validate=validate.Length(max=4000))
    cadence = fields.Str(validate=validate.OneOf([c.value for c in Cadence]))
    weekday = fields.Int(strict=True, validate=validate.Range(min=0, max=6),
                         metadata={"description": "0 = Monday … 6 = Sunday, in the community's time zone"})
    starts_on = _date(metadata={"description": "no delivery before this local date"})
    price = fields.Int(strict=True, validate=validate.Range(min=0, max=MAX_INT),
                       metadata={"description": "per box, minor units of the community's currency"})
    cutoff_hours = fields.Int(strict=True, validate=validate.Range(min=0, max=MAX_CUTOFF_HOURS))
    delivery_hour = fields.Int(strict=True, validate=validate.Range(min=0, max=23))
    capacity = fields.Int(strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_INT),
                          metadata={"description": "boxes per cycle; null: no limit"})
    fulfilment = fields.Str(validate=validate.OneOf([f.value for f in Fulfilment]))
    pickup_point_ids = fields.List(Id(), validate=validate.Length(max=100))
    items = _items(metadata={"description": "the default box"})
    swaps = fields.List(fields.Nested(PlanSwapIn), validate=validate.Length(max=100),
                        metadata={"description": "exchanges members may make, one delivery at a time"})


class PlanIn(PlanPatchIn):
    name = Text(required=True, validate=validate.Length(min=1, max=120))
    description = Text(load_default="", validate=validate.Length(max=4000))
    cadence = fields.Str(required=True, validate=validate.OneOf([c.value for c in Cadence]))
    weekday = fields.Int(strict=True, required=True, validate=validate.Range(min=0, max=6))
    starts_on = _date(required=True)
    price = fields.Int(strict=True, required=True, validate=validate.Range(min=0, max=MAX_INT))
    cutoff_hours = fields.Int(strict=True, load_default=48, validate=validate.Range(min=0, max=MAX_CUTOFF_HOURS))
    delivery_hour = fields.Int(strict=True, load_default=9, validate=validate.Range(min=0, max=23))
    capacity = fields.Int(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_INT))
    fulfilment = fields.Str(load_default=Fulfilment.PICKUP.value,
                            validate=validate.OneOf([f.value for f in Fulfilment]))
    pickup_point_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=100))
    items = _items(required=True)
    swaps = fields.List(fields.Nested(PlanSwapIn), load_default=list, validate=validate.Length(max=100))


class MenuIn(Schema):
    delivery_date = _date(required=True)
    items = _items(required=True, metadata={"description": "this delivery's box, instead of the default"})


class SubscribeIn(Schema):
    pickup_point_id = Id(allow_none=True, load_default=None,
                         metadata={"description": "one of the plan's pickup points (pickup plans)"})
    delivery_address = Text(load_default="", validate=validate.Length(max=500),
                            metadata={"description": "plans delivered to the door"})
    payment_choice = fields.Str(load_default=PaymentChoice.AT_PICKUP.value,
                                validate=validate.OneOf([c.value for c in PaymentChoice]))
    payment_method = Text(validate=validate.Length(min=1, max=120), metadata={
        "description": "card payments: a payment method collected by Stripe.js (pm_…) to save for the boxes"})


class DeliveryDateIn(Schema):
    delivery_date = _date(required=True)


class SwapIn(DeliveryDateIn):
    variant_id = Id(required=True, metadata={"description": "an item in that box"})
    alternative_id = Id(required=True, metadata={"description": "what the plan allows instead (the item itself "
                                                                "takes a swap back)"})


class PauseIn(Schema):
    until = _date(allow_none=True, load_default=None,
                  metadata={"description": "the first delivery back; null: until resumed"})


class PickupPointChangeIn(Schema):
    pickup_point_id = Id(required=True)


class PageIn(Schema):
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Int(load_default=PER_PAGE, validate=validate.Range(min=1, max=PER_PAGE_MAX))


class VariantRefOut(Schema):
    variant_id = fields.Int(attribute="id")
    sku = fields.Str()
    product = fields.Str(attribute="product.name")
    variant = fields.Str(attribute="name")
    unit = fields.Str()


class MenuItemOut(Schema):
    variant_id = fields.Int(attribute="variant.id")
    product = fields.Str(attribute="variant.product.name")
    variant = fields.Str(attribute="variant.name")
    unit = fields.Str(attribute="variant.unit")
    quantity = fields.Int()
    lead_time_days = fields.Int()


class PlanSwapOut(Schema):
    variant = fields.Function(lambda pair: VariantRefOut().dump(pair[0]))
    alternative = fields.Function(lambda pair: VariantRefOut().dump(pair[1]))


class BoxItemOut(Schema):
    variant_id = fields.Int()
    sku = fields.Str()
    product = fields.Str()
    variant = fields.Str()
    unit = fields.Str()
    quantity = fields.Int()
    lead_time_days = fields.Int()
    leave_by = fields.Date(metadata={"description": "the local date it leaves the supplier"})
    swapped_from = fields.Int(allow_none=True, metadata={"description": "the menu's variant, when swapped"})
    alternatives = fields.List(fields.Nested(VariantRefOut),
                               metadata={"description": "what the menu's item may be swapped for"})


class BoxOut(Schema):
    delivery_date = fields.Date(metadata={"description": "local date of the delivery (the cycle's name)"})
    cutoff_at = fields.DateTime(metadata={"description": "UTC; no change to this box from then"})
    open_for_changes = fields.Bool()
    items = fields.List(fields.Nested(BoxItemOut))


class DeliveryOut(BoxOut):
    skipped = fields.Bool()
    coming = fields.Bool(metadata={"description": "the box comes, as things stand (not skipped, paused or "
                                                  "cancelled; once cut off, what the cycle ordered)"})


class PlanSummaryOut(Schema):
    id = fields.Int()
    community = fields.Function(lambda plan: plan.community.slug)
    name = fields.Str()
    description = fields.Str()
    status = fields.Str(metadata={"description": "draft, open or closed"})
    cadence = fields.Str()
    weekday = fields.Int()
    starts_on = fields.Date()
    delivery_hour = fields.Int()
    cutoff_hours = fields.Int()
    price = fields.Int(metadata={"description": "per box, minor units"})
    currency = fields.Str()
    capacity = fields.Int(allow_none=True)
    fulfilment = fields.Str()
    pickup_points = fields.List(fields.Nested(PickupPointOut))


class PlanOut(PlanSummaryOut):
    """Dumped from a ``queries.PlanView``."""

    menu = fields.List(fields.Nested(MenuItemOut), metadata={"description": "the default box"})
    swaps = fields.List(fields.Nested(PlanSwapOut))
    next_boxes = fields.List(fields.Nested(BoxOut))


def _pickup_point(subscription) -> dict | None:
    point = db.session.get(PickupPoint, subscription.pickup_point_id) if subscription.pickup_point_id else None
    return PickupPointOut().dump(point) if point else None


class SubscriptionSummaryOut(Schema):
    id = fields.Int()
    plan_id = fields.Int()
    plan_name = fields.Function(lambda s: s.plan.name)
    community = fields.Function(lambda s: s.plan.community.slug)
    status = fields.Str(metadata={"description": "active, paused or cancelled"})
    paused_until = fields.Date(allow_none=True, metadata={"description": "the first delivery back; null while "
                                                                        "paused: until resumed"})
    pickup_point = fields.Function(_pickup_point, allow_none=True, metadata={"type": "object"})
    delivery_address = fields.Str()
    payment_choice = fields.Str()
    price = fields.Function(lambda s: s.plan.price, metadata={"type": "integer", "description": "per box, minor "
                                                                                                "units"})
    currency = fields.Function(lambda s: s.plan.currency)
    subscribed_at = fields.DateTime()
    cancelled_at = fields.DateTime(allow_none=True)


class PastBoxOut(Schema):
    delivery_date = fields.Date()
    status = fields.Str(metadata={"description": "ordered, or left_out (the cycle was full)"})
    order_id = fields.Int(allow_none=True)
    payment_status = fields.Function(lambda box: box.payment.status.value if box.payment else None, allow_none=True)
    amount = fields.Function(lambda box: box.payment.amount if box.payment else None, allow_none=True,
                             metadata={"type": "integer", "description": "minor units"})
    currency = fields.Function(lambda box: box.payment.currency if box.payment else None, allow_none=True)
    failure_reason = fields.Str(allow_none=True, metadata={"description": "why the card was declined"})
    needs_member = fields.Bool(metadata={"description": "the member can pay it at ``pay_url``"})
    pay_url = fields.Str(allow_none=True)


class SubscriptionOut(SubscriptionSummaryOut):
    """Dumped from a ``queries.SubscriptionView``."""

    upcoming = fields.List(fields.Nested(DeliveryOut))
    past = fields.List(fields.Nested(PastBoxOut), metadata={"description": "newest first"})


class SubscriberOut(Schema):
    """A plan's subscription as its shopkeepers see it."""

    id = fields.Int()
    user_id = fields.Int()
    display_name = fields.Str(attribute="user.display_name")
    status = fields.Str()
    paused_until = fields.Date(allow_none=True)
    pickup_point_id = fields.Int(allow_none=True)
    payment_choice = fields.Str()
    subscribed_at = fields.DateTime()


class SubscriberPageOut(Schema):
    items = fields.List(fields.Nested(SubscriberOut))
    page = fields.Int()
    per_page = fields.Int()
    has_next = fields.Bool()
