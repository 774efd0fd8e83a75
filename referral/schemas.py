"""JSON in and out for growth (issue #6): a member's store credit and its use on orders, reviews and
lucky draws. Money in integer minor units with its currency, instants in UTC. A shown review names no
reviewer: its stars, words and photos, and that a verified buyer wrote it."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from referral.reviews import MAX_PHOTOS, MAX_TEXT
from shopkeeper.schemas import Id, Text


class CreditEntryOut(Schema):
    id = fields.Int()
    amount = fields.Int(metadata={"description": "minor units: positive credit in, negative spent on an order"})
    source = fields.Str(metadata={"description": "review_reward, referral_reward, draw_prize, spend or reversal"})
    order_id = fields.Int(allow_none=True, metadata={"description": "the order a spend or reversal is for"})
    note = fields.Str(metadata={"description": "e.g. the campaign or draw that paid the reward"})
    created_at = fields.DateTime()


class PaymentOut(Schema):
    """An order's payment as credit leaves it: ``amount`` is what is still due, ``covered_amount`` what
    store credit paid (the first ask was their sum)."""

    id = fields.Int()
    order_id = fields.Int()
    amount = fields.Int(metadata={"description": "still due, minor units"})
    covered_amount = fields.Int(metadata={"description": "paid with store credit, minor units"})
    currency = fields.Str()
    status = fields.Str(metadata={"description": "pending until paid; succeeded once covered whole"})


class WaitingOut(Schema):
    order_id = fields.Int(attribute="order.id")
    payment = fields.Nested(PaymentOut)


class CreditOut(Schema):
    balance = fields.Int(metadata={"description": "minor units of the community's currency"})
    currency = fields.Str()
    auto_apply = fields.Bool(metadata={"description": "credit pays toward each new order here by itself"})
    entries = fields.List(fields.Nested(CreditEntryOut), metadata={"description": "the newest 50, newest first"})
    waiting = fields.List(fields.Nested(WaitingOut),
                          metadata={"description": "my orders here that credit may still pay toward, newest first"})


class AppliedOut(Schema):
    spent = fields.Int(metadata={"description": "credit spent now (0: I had none)"})
    balance = fields.Int(metadata={"description": "my credit left in this community"})
    currency = fields.Str()
    payment = fields.Nested(PaymentOut, allow_none=True)


class AutoApplyIn(Schema):
    auto_apply = fields.Bool(required=True, metadata={"description": "false: credit waits until I apply it"})


class AutoApplyOut(Schema):
    auto_apply = fields.Bool()


class VariantQueryIn(Schema):
    variant_id = Id(strict=False, required=True)


class PhotoUrls(fields.List):
    """A review's photos (``Review.photos``) as the addresses the pages show them at."""

    def __init__(self, **kwargs):
        super().__init__(fields.Str(), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return [url_for("uploads.serve", filename=photo.filename) for photo in value or ()]


class ReviewOut(Schema):
    id = fields.Int()
    variant_id = fields.Int()
    rating = fields.Int(metadata={"description": "1 to 5 stars"})
    text = fields.Str()
    photo_urls = PhotoUrls(attribute="photos")
    verified_buyer = fields.Bool(dump_default=True, metadata={
        "description": "always true: only the buyer who picked the order up may review it"})
    created_at = fields.DateTime()


class MyReviewOut(ReviewOut):
    order_line_id = fields.Int()
    status = fields.Str(metadata={"description": "approved (shown) or pending (waiting for the shopkeeper)"})
    rewarded = fields.Bool(metadata={"description": "its store credit reward is paid"})


class ProductReviewsOut(Schema):
    count = fields.Int(metadata={"description": "approved reviews of all the product's variants"})
    average_rating = fields.Float(allow_none=True, metadata={"description": "to one decimal; null without any"})
    reviews = fields.List(fields.Nested(ReviewOut), metadata={"description": "the newest 20"})


class PhotoUpload(Upload):
    """A file part of the multipart form; a plain text part under the same name is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError(_l("Attach the photo as a file."))
        return value


class ReviewIn(Schema):
    """A multipart form (``multipart/form-data``), as a browser sends it."""

    order_line_id = Id(strict=False, required=True, metadata={"description": "a line of my picked-up order"})
    rating = fields.Int(strict=False, required=True, validate=validate.Range(min=1, max=5))
    text = Text(load_default="", validate=validate.Length(max=MAX_TEXT))
    photos = fields.List(PhotoUpload(), load_default=list,
                         metadata={"description": f"up to {MAX_PHOTOS} JPEG, PNG, WebP or GIF files"})


class DrawEntryOut(Schema):
    id = fields.Int()
    rank = fields.Int(allow_none=True, metadata={"description": "place in the draw order (1 is first)"})


class DrawAuditOut(Schema):
    """What anyone may check. Before the draw only the commitment (``seed_hash``); once drawn also the
    seed, the entry ids with their ranks and the winners' display names, in draw order."""

    id = fields.Int()
    title = fields.Str()
    status = fields.Str(metadata={"description": "scheduled or drawn"})
    winners = fields.Int(metadata={"description": "how many win"})
    draw_at = fields.DateTime()
    seed_hash = fields.Str(metadata={"description": "SHA-256 of the secret seed, published when announced"})
    seed = fields.Str(metadata={"description": "once drawn"})
    drawn_at = fields.DateTime(metadata={"description": "once drawn"})
    entries = fields.List(fields.Nested(DrawEntryOut), metadata={"description": "once drawn, by entry id"})
    winner_names = fields.List(fields.Str(), metadata={"description": "once drawn, in draw order"})
    recompute = fields.Str(metadata={"description": "once drawn: a Python snippet that recomputes the winners"})
