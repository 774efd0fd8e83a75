"""Marshmallow schemas for the communities API: separate In (validated, lengths and ranges bounded so
that no input reaches the database unchecked) and Out."""

from flask import url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from core.money import SUPPORTED_CURRENCIES
from shopkeeper.invites import invite_state
from shopkeeper.validation import MAX_ID, MAX_INVITE_USES, SLUG_MAX, SLUG_MIN, SLUG_RE, clean_text, is_timezone


class Text(fields.Str):
    """A string with surrounding space and NUL characters removed."""

    def _deserialize(self, value, attr, data, **kwargs):
        return clean_text(super()._deserialize(value, attr, data, **kwargs))


def _timezone(value: str) -> None:
    if not is_timezone(value):
        raise ValidationError(_("Not a known IANA time zone, such as Asia/Shanghai."))


def Id(strict: bool = True, **kwargs) -> fields.Int:
    """An id field: an integer within PostgreSQL's INTEGER (``strict=False`` in query strings, where
    every value is text)."""
    return fields.Int(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class CommunityPatchIn(Schema):
    name = Text(validate=validate.Length(min=1, max=120))
    description = Text(validate=validate.Length(max=5000))
    currency = fields.Str(validate=validate.OneOf(SUPPORTED_CURRENCIES))
    timezone = fields.Str(validate=[validate.Length(max=64), _timezone])


class CommunityIn(CommunityPatchIn):
    name = Text(required=True, validate=validate.Length(min=1, max=120))
    slug = Text(allow_none=True, validate=[validate.Length(min=SLUG_MIN, max=SLUG_MAX), validate.Regexp(SLUG_RE)],
                metadata={"description": "Leave out to have one suggested from the name."})


class CommunityOut(Schema):
    id = fields.Int()
    slug = fields.Str()
    name = fields.Str()
    description = fields.Str()
    currency = fields.Str()
    timezone = fields.Str()
    owner_id = fields.Int()
    created_at = fields.DateTime()


class MyCommunityOut(Schema):
    community = fields.Nested(CommunityOut)
    role = fields.Str()
    member_count = fields.Int()


class PickupPointIn(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=120))
    address = Text(required=True, validate=validate.Length(min=1, max=2000))
    region = Text(load_default="", validate=validate.Length(max=64))
    opening_hours = Text(load_default="", validate=validate.Length(max=2000))


class PickupPointPatchIn(Schema):
    name = Text(validate=validate.Length(min=1, max=120))
    address = Text(validate=validate.Length(min=1, max=2000))
    region = Text(validate=validate.Length(max=64))
    opening_hours = Text(validate=validate.Length(max=2000))
    active = fields.Bool(metadata={"description": "false: no longer offered to members."})


class PickupPointOut(Schema):
    id = fields.Int()
    name = fields.Str()
    address = fields.Str()
    region = fields.Str()
    opening_hours = fields.Str()
    active = fields.Bool()


class InviteIn(Schema):
    label = Text(load_default="", validate=validate.Length(max=80))
    expires_at = fields.AwareDateTime(allow_none=True, load_default=None)
    max_uses = fields.Int(strict=True, allow_none=True, load_default=None,
                          validate=validate.Range(min=1, max=MAX_INVITE_USES))


class InviteOut(Schema):
    id = fields.Int()
    label = fields.Str()
    token = fields.Str()
    url = fields.Function(lambda invite: url_for("shopkeeper.join", token=invite.token, _external=True))
    state = fields.Function(lambda invite: invite_state(invite).value)
    expires_at = fields.DateTime(allow_none=True)
    max_uses = fields.Int(allow_none=True)
    use_count = fields.Int()
    revoked_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class JoinIn(Schema):
    pickup_point_id = Id(allow_none=True, load_default=None)


class MembershipOut(Schema):
    community = fields.Nested(CommunityOut)
    role = fields.Str()
    joined_at = fields.DateTime()
    pickup_point_id = fields.Int(allow_none=True)


class MyMembershipIn(Schema):
    pickup_point_id = Id(allow_none=True, required=True)


class MemberQueryIn(Schema):
    q = Text(load_default=None, validate=validate.Length(max=80))
    tag = fields.List(Id(strict=False), load_default=list, validate=validate.Length(max=50),
                      metadata={"description": "Tag ids; members carrying ALL of them."})
    pickup_point_id = Id(strict=False, load_default=None)
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class MemberTagOut(Schema):
    tag_id = fields.Int()
    code = fields.Str(attribute="tag.code")
    label_en = fields.Str(attribute="tag.label_en")
    label_zh = fields.Str(attribute="tag.label_zh")
    set_by_shopkeeper = fields.Bool()


class MemberOut(Schema):
    user_id = fields.Int()
    display_name = fields.Str(attribute="user.display_name")
    role = fields.Str()
    joined_at = fields.DateTime()
    pickup_point_id = fields.Int(allow_none=True)
    tags = fields.List(fields.Nested(MemberTagOut))


class MemberPageOut(Schema):
    items = fields.List(fields.Nested(MemberOut))
    page = fields.Int()
    per_page = fields.Int()
    has_next = fields.Bool()
    total = fields.Int(metadata={"description": "Matching members, counted up to 10,000."})
    total_is_lower_bound = fields.Bool(metadata={"description": "True when there are more than ``total``."})


class TagsIn(Schema):
    tag_ids = fields.List(Id(), required=True, validate=validate.Length(max=100))


class RecommendationOut(Schema):
    product_id = fields.Int(attribute="product.id")
    name = fields.Str(attribute="product.name")
    retail_price = fields.Int(allow_none=True, metadata={"description": "Minor units (fen, cents)."})
    currency = fields.Str(allow_none=True)
    image_url = fields.Function(
        lambda rec: url_for("uploads.serve", filename=rec.image.filename, _external=True) if rec.image else None)
