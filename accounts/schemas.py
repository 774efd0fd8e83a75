from marshmallow import Schema, fields, validate

from core.i18n import LANGUAGES


class UserOut(Schema):
    id = fields.Int(dump_only=True)
    email = fields.Email(dump_only=True)
    display_name = fields.Str()
    locale = fields.Str(allow_none=True)
    timezone = fields.Str(allow_none=True)
    roles = fields.List(fields.Str(), attribute="role_names", dump_only=True)


class ProfileIn(Schema):
    display_name = fields.Str(validate=validate.Length(min=1, max=80))
    locale = fields.Str(allow_none=True, validate=validate.OneOf(list(LANGUAGES)))
    timezone = fields.Str(allow_none=True, validate=validate.Length(max=64))


class TokenIn(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))


class TokenOut(Schema):
    id = fields.Int()
    name = fields.Str()
    prefix = fields.Str()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)


class NewTokenOut(TokenOut):
    token = fields.Str(metadata={"description": "The token itself. Shown once; store it now."})
