"""JSON in and out for group buys and pledges. Members appear nowhere: a group buy shows counts and totals,
and a pledge is only ever shown to its own member."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from groupbuy import pricing
from groupbuy.models import MarginKind
from groupbuy.services import MAX_DESCRIPTION, MAX_TITLE
from shopkeeper.schemas import Id, Text
from shopkeeper.social_schemas import ImageOut

MARGIN_KINDS = [kind.value for kind in MarginKind]
#: whole numbers that fit an INTEGER column
Count = validate.Range(min=0, max=2**31 - 1)


class GroupBuyPatchIn(Schema):
    title = Text(validate=validate.Length(min=1, max=MAX_TITLE))
    description = Text(validate=validate.Length(max=MAX_DESCRIPTION))
    margin_kind = fields.Str(validate=validate.OneOf(MARGIN_KINDS))
    margin = Text(validate=validate.Length(min=1, max=20),
                  metadata={"description": 'an amount in the offer\'s currency ("2.50") for a fixed margin, or a '
                                           'percentage with at most two decimals ("12.5")'})
    deadline = fields.AwareDateTime(metadata={"description": "ISO 8601 with a time zone; no later than the "
                                                             "offer closes"})
    pickup_point_ids = fields.List(Id(), validate=validate.Length(min=1, max=100))
    deposit_percent = fields.Int(strict=True, validate=validate.Range(min=0, max=100))
    per_member_max = fields.Int(strict=True, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))


class GroupBuyIn(GroupBuyPatchIn):
    offer_id = Id(required=True)
    title = Text(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    margin_kind = fields.Str(required=True, validate=validate.OneOf(MARGIN_KINDS))
    margin = Text(required=True, validate=validate.Length(min=1, max=20))
    deadline = fields.AwareDateTime(required=True)
    pickup_point_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100))


class MemberTierOut(Schema):
    min_quantity = fields.Int()
    member_price = fields.Int(metadata={"description": "minor units per unit, the shopkeeper's margin included"})


class ProgressOut(Schema):
    """Dumped from a ``groupbuy.services.GroupBuyView``: what the page's progress bar shows."""

    group_buy_id = fields.Function(lambda view: view.group_buy.id, metadata={"type": "integer"})
    status = fields.Function(lambda view: view.group_buy.status.value)
    open = fields.Bool(metadata={"description": "members may pledge, change and cancel now"})
    deadline = fields.DateTime(attribute="group_buy.deadline")
    currency = fields.Str(attribute="progress.currency")
    pooled_total = fields.Int(attribute="progress.pooled_total",
                              metadata={"description": "units pledged in every community on this offer"})
    moq = fields.Int(attribute="progress.moq")
    to_moq = fields.Int(attribute="progress.to_moq")
    moq_percent = fields.Int(attribute="progress.moq_percent")
    current_tier = fields.Nested(MemberTierOut, attribute="progress.current")
    next_tier = fields.Nested(MemberTierOut, attribute="progress.next", allow_none=True)
    to_next_tier = fields.Int(attribute="progress.to_next_tier", allow_none=True)
    next_tier_percent = fields.Int(attribute="progress.next_tier_percent")
    pledge_count = fields.Int(metadata={"description": "active pledges in this group buy"})


class PickupPointRefOut(Schema):
    id = fields.Int()
    name = fields.Str()
    address = fields.Str()


class GroupBuyOut(ProgressOut):
    id = fields.Int(attribute="group_buy.id")
    community = fields.Function(lambda view: view.group_buy.community.slug)
    offer_id = fields.Int(attribute="group_buy.offer_id")
    product = fields.Function(lambda view: view.group_buy.offer.variant.product.name)
    variant = fields.Function(lambda view: view.group_buy.offer.variant.name)
    case_pack = fields.Int(attribute="group_buy.offer.case_pack")
    title = fields.Str(attribute="group_buy.title")
    description = fields.Str(attribute="group_buy.description")
    margin_kind = fields.Function(lambda view: view.group_buy.margin_kind.value)
    margin_value = fields.Int(attribute="group_buy.margin_value",
                              metadata={"description": "minor units (fixed) or basis points (percent)"})
    deposit_percent = fields.Int(attribute="group_buy.deposit_percent")
    per_member_max = fields.Int(attribute="group_buy.per_member_max", allow_none=True)
    pickup_points = fields.List(fields.Nested(PickupPointRefOut), attribute="group_buy.pickup_points")
    images = fields.List(fields.Nested(ImageOut), attribute="group_buy.images")
    tiers = fields.Function(lambda view: MemberTierOut(many=True).dump(pricing.member_tiers(view.group_buy)),
                            metadata={"description": "every price tier, lowest threshold first"})


class PledgeIn(Schema):
    quantity = fields.Int(strict=True, required=True, validate=validate.Range(min=1, max=2**31 - 1))
    tolerance = fields.Int(strict=True, load_default=0, validate=Count)
    pickup_point_id = Id(required=True)
    payment_method = Text(load_default=None, validate=validate.Length(min=1, max=120), metadata={
        "description": "card payments: a payment method collected by Stripe.js (pm_…) to pay the deposit with "
                       "now; without it a saved card is used, or the deposit waits for `deposit.client_secret`"})


class DepositOut(Schema):
    """Dumped from a ``groupbuy.deposits.Deposit``."""

    due = fields.Int(metadata={"description": "deposit_percent of quantity × price_cap, minor units"})
    paid = fields.Int()
    currency = fields.Str()
    waiting_status = fields.Function(lambda deposit: deposit.waiting.status.value if deposit.waiting else None,
                                     allow_none=True,
                                     metadata={"description": "the deposit still to be paid, if any: pending, "
                                                              "requires_action or failed"})
    waiting_amount = fields.Function(lambda deposit: deposit.waiting.amount if deposit.waiting else None,
                                     allow_none=True, metadata={"type": "integer"})
    reason = fields.Str(allow_none=True, metadata={"description": "why the card payment did not go through"})
    needs_member = fields.Bool(metadata={"description": "the browser must finish the card payment"})
    client_secret = fields.Str(allow_none=True, metadata={"description": "for Stripe.js, when the browser must act"})


class PledgeOut(Schema):
    """Dumped from a ``groupbuy.pledges.MyPledge``."""

    id = fields.Int(attribute="pledge.id")
    group_buy_id = fields.Int(attribute="pledge.group_buy_id")
    quantity = fields.Int(attribute="pledge.quantity")
    tolerance = fields.Int(attribute="pledge.tolerance")
    pickup_point_id = fields.Int(attribute="pledge.pickup_point_id", allow_none=True)
    status = fields.Function(lambda mine: mine.pledge.status.value)
    price_cap = fields.Int(attribute="pledge.price_cap",
                           metadata={"description": "you never pay more than this per unit"})
    unit_price = fields.Int(metadata={"description": "what you would pay per unit now"})
    amount = fields.Int(metadata={"description": "quantity × unit_price"})
    currency = fields.Str()
    created_at = fields.DateTime(attribute="pledge.created_at")
    deposit = fields.Nested(DepositOut)
