"""JSON shapes of the catalog API. Prices are integer minor units of ``currency``."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, missing, validate

from supplier.access import sees_wholesale
from supplier.validation import (
    MAX_CASE_PACK,
    MAX_ID,
    MAX_LEAD_TIME_DAYS,
    MAX_PRICE,
    MAX_TAGS_PER_PRODUCT,
    TAG_PART,
)

_tag_part = validate.Regexp(TAG_PART, error=_l("Use lowercase letters, digits and hyphens only."))


def _id(**kwargs):
    return fields.Int(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _count(minimum: int, maximum: int, **kwargs):
    return fields.Int(strict=True, validate=validate.Range(min=minimum, max=maximum), **kwargs)


def _price(**kwargs):
    return _count(0, MAX_PRICE, metadata={"description": "Minor units (fen, cents) of the supplier's currency"},
                  **kwargs)


class TagOut(Schema):
    id = fields.Int()
    namespace = fields.Str()
    value = fields.Str()
    code = fields.Str(metadata={"description": "namespace:value"})
    label_en = fields.Str()
    label_zh = fields.Str()
    active = fields.Bool()


class TagQuery(Schema):
    include_inactive = fields.Bool(load_default=False,
                                   metadata={"description": "Operators only: list deactivated tags too"})


class TagIn(Schema):
    namespace = fields.Str(required=True, validate=[validate.Length(min=1, max=32), _tag_part])
    value = fields.Str(required=True, validate=[validate.Length(min=1, max=32), _tag_part])
    label_en = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    label_zh = fields.Str(required=True, validate=validate.Length(min=1, max=64))


class TagPatch(Schema):
    namespace = fields.Str(validate=[validate.Length(min=1, max=32), _tag_part])
    value = fields.Str(validate=[validate.Length(min=1, max=32), _tag_part])
    label_en = fields.Str(validate=validate.Length(min=1, max=64))
    label_zh = fields.Str(validate=validate.Length(min=1, max=64))
    active = fields.Bool()


class SupplierOut(Schema):
    id = fields.Int()
    name = fields.Str()
    slug = fields.Str()
    description = fields.Str()
    currency = fields.Str()


class VariantOut(Schema):
    id = fields.Int()
    product_id = fields.Int()
    sku = fields.Str()
    name = fields.Str()
    unit = fields.Str()
    case_pack = fields.Int()
    retail_price = fields.Int(metadata={"description": "Suggested retail price, minor units"})
    wholesale_price = fields.Method("_wholesale", metadata={
        "type": "integer", "description": "Minor units; only for the supplier's staff and operators"})
    currency = fields.Str()
    lead_time_days = fields.Int()
    active = fields.Bool()

    def _wholesale(self, variant):
        return variant.wholesale_price if sees_wholesale(current_user, variant.supplier_id) else missing


class ProductImageOut(Schema):
    id = fields.Int()
    url = fields.Method("_url", metadata={"type": "string"})
    alt = fields.Str()
    position = fields.Int()

    def _url(self, image):
        return url_for("uploads.serve", filename=image.filename)


class ProductOut(Schema):
    id = fields.Int()
    supplier_id = fields.Int()
    name = fields.Str()
    description = fields.Str()
    active = fields.Bool()
    tags = fields.Nested(TagOut, many=True)
    variants = fields.Nested(VariantOut, many=True)
    images = fields.Nested(ProductImageOut, many=True)
    created_at = fields.DateTime()


class ProductIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=160))
    description = fields.Str(load_default="", validate=validate.Length(max=10_000))
    tag_ids = fields.List(_id(), load_default=list, validate=validate.Length(max=MAX_TAGS_PER_PRODUCT))


class ProductPatch(Schema):
    name = fields.Str(validate=validate.Length(min=1, max=160))
    description = fields.Str(validate=validate.Length(max=10_000))
    tag_ids = fields.List(_id(), validate=validate.Length(max=MAX_TAGS_PER_PRODUCT))
    active = fields.Bool()


class VariantIn(Schema):
    sku = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    unit = fields.Str(load_default="piece", validate=validate.Length(min=1, max=32))
    case_pack = _count(1, MAX_CASE_PACK, load_default=1)
    wholesale_price = _price(required=True)
    retail_price = _price(required=True)
    lead_time_days = _count(0, MAX_LEAD_TIME_DAYS, load_default=0)


class VariantPatch(Schema):
    sku = fields.Str(validate=validate.Length(min=1, max=64))
    name = fields.Str(validate=validate.Length(min=1, max=120))
    unit = fields.Str(validate=validate.Length(min=1, max=32))
    case_pack = _count(1, MAX_CASE_PACK)
    wholesale_price = _price()
    retail_price = _price()
    lead_time_days = _count(0, MAX_LEAD_TIME_DAYS)
    active = fields.Bool()
