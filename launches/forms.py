"""Forms for the launch pages. Values are only shaped here (prices into minor units, local times into
aware ones); ``launches.services`` decides what is allowed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from launches.models import LaunchMode
from launches.services import MAX_TEXT, MAX_TITLE, MAX_UNITS
from shopkeeper.forms import TEXT, CheckboxesField
from supplier.forms import PriceField

MODES = [(LaunchMode.FIRST_COME.value, _l("First come, first served")),
         (LaunchMode.RAFFLE.value, _l("Raffle (a fair draw at closing)"))]
LOCAL = "%Y-%m-%dT%H:%M"


def aware(local: datetime | None, timezone: str) -> datetime | None:
    return None if local is None else local.replace(tzinfo=ZoneInfo(timezone))


def local(moment: datetime | None, timezone: str) -> datetime | None:
    return None if moment is None else moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


class LaunchForm(FlaskForm):
    variant_id = SelectField(_l("Product"), coerce=int, validate_choice=True)
    title = StringField(_l("Title"), filters=TEXT, validators=[DataRequired(), Length(max=MAX_TITLE)])
    teaser = TextAreaField(_l("Teaser"), filters=TEXT, validators=[Length(max=MAX_TEXT)])
    price = PriceField(_l("Price per unit"), validators=[DataRequired()])
    stock = IntegerField(_l("Units for sale"), validators=[InputRequired(), NumberRange(min=1, max=MAX_UNITS)])
    per_member_limit = IntegerField(_l("Most units per member"), default=1,
                                    validators=[InputRequired(), NumberRange(min=1, max=MAX_UNITS)])
    opens_at = DateTimeLocalField(_l("Opens at"), format=LOCAL, validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Closes at (required for a raffle)"), format=LOCAL, validators=[Optional()])
    mode = SelectField(_l("How units are given out"), choices=MODES, default=LaunchMode.FIRST_COME.value)
    checkout_minutes = IntegerField(_l("Minutes to pay after reserving"), default=10,
                                    validators=[InputRequired(), NumberRange(min=1, max=24 * 60)])
    claim_minutes = IntegerField(_l("Minutes to claim a restocked or won unit"), default=60,
                                 validators=[InputRequired(), NumberRange(min=1, max=7 * 24 * 60)])
    community_ids = CheckboxesField(_l("Communities"), coerce=int)

    def __init__(self, *args, currency: str = "CNY", **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)

    def offer(self, variants, communities=None) -> LaunchForm:
        self.variant_id.choices = [(v.id, f"{v.product.name} — {v.name}") for v in variants]
        if communities is None:
            del self.community_ids
        else:
            self.community_ids.choices = [(c.id, c.name) for c in communities]
        return self

    def fill(self, launch, timezone: str) -> LaunchForm:
        """Show a stored launch, its times in ``timezone``."""
        for name in ("variant_id", "title", "teaser", "stock", "per_member_limit", "checkout_minutes",
                     "claim_minutes"):
            getattr(self, name).data = getattr(launch, name)
        self.price.set_minor_units(launch.price, launch.currency)
        self.mode.data = launch.mode.value
        self.opens_at.data, self.closes_at.data = local(launch.opens_at, timezone), local(launch.closes_at, timezone)
        if "community_ids" in self:
            self.community_ids.data = [c.id for c in launch.communities]
        return self

    def values(self, timezone: str) -> dict:
        return {"title": self.title.data, "teaser": self.teaser.data or "", "price": self.price.minor_units,
                "stock": self.stock.data, "per_member_limit": self.per_member_limit.data, "mode": self.mode.data,
                "opens_at": aware(self.opens_at.data, timezone), "closes_at": aware(self.closes_at.data, timezone),
                "checkout_minutes": self.checkout_minutes.data, "claim_minutes": self.claim_minutes.data}


class StageForm(FlaskForm):
    reveal_at = DateTimeLocalField(_l("Reveal at"), format=LOCAL, validators=[InputRequired()])
    title = StringField(_l("Title"), filters=TEXT, validators=[DataRequired(), Length(max=MAX_TITLE)])
    body = TextAreaField(_l("Text"), filters=TEXT, validators=[Length(max=MAX_TEXT)])
    price = PriceField(_l("Price revealed (optional)"), validators=[Optional()])
    specs = TextAreaField(_l("Specs, one \"name: value\" per line"), filters=TEXT, validators=[Length(max=MAX_TEXT)])
    images = MultipleFileField(_l("Images"))

    def __init__(self, *args, currency: str = "CNY", **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)

    def values(self, timezone: str) -> dict:
        return {"reveal_at": aware(self.reveal_at.data, timezone), "title": self.title.data,
                "body": self.body.data or "", "price": self.price.minor_units, "specs": self.specs.data or "",
                "images": self.images.data or []}
