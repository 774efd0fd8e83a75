"""Bare extension singletons, bound to the app in ``app.register_extensions``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ErrorBody(Schema):
    code = fields.Str(required=True, metadata={"description": "stable, for programs: not_found, invalid…"})
    message = fields.Str(required=True, metadata={"description": "for people, in the request's language"})
    fields_ = fields.Dict(data_key="fields", keys=fields.Str(), values=fields.List(fields.Str()),
                          metadata={"description": "field name → messages"})


class ErrorOut(Schema):
    """Every error answer of the API: ``{"error": {"code", "message", "fields"}}``."""

    error = fields.Nested(ErrorBody, required=True)


class TuanApi(Api):
    """flask-smorest without its app-wide error handlers: ``core.errors`` answers for HTML and JSON,
    and the OpenAPI document describes that answer."""

    ERROR_SCHEMA = ErrorOut

    def _register_error_handlers(self):
        pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = TuanApi()
