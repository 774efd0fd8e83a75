"""Forms for the group buy pages. Values are only shaped here; the services decide what is allowed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.templating import money
from groupbuy.models import MarginKind
from groupbuy.pricing import format_margin
from groupbuy.services import MAX_DESCRIPTION, MAX_TITLE
from shopkeeper.forms import TEXT, CheckboxesField
from supplier.validation import MAX_ID

MARGIN_KINDS = [(MarginKind.PERCENT.value, _l("Percentage of the wholesale price")),
                (MarginKind.FIXED.value, _l("Fixed amount per unit"))]


class GroupBuyForm(FlaskForm):
    """Edit an open group buy; ``NewGroupBuyForm`` adds the offer and photos."""

    title = StringField(_l("Title"), filters=TEXT, validators=[DataRequired(), Length(max=MAX_TITLE)])
    description = TextAreaField(_l("Description"), filters=TEXT, validators=[Length(max=MAX_DESCRIPTION)])
    margin_kind = SelectField(_l("Your margin"), choices=MARGIN_KINDS, default=MarginKind.PERCENT.value)
    margin = StringField(_l("Margin (amount or %)"), filters=TEXT, validators=[DataRequired(), Length(max=20)])
    deadline = DateTimeLocalField(_l("Deadline"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    pickup_point_ids = CheckboxesField(_l("Pickup points"), coerce=int)
    deposit_percent = IntegerField(_l("Deposit (%)"), default=0,
                                   validators=[InputRequired(), NumberRange(min=0, max=100)])
    per_member_max = IntegerField(_l("Most units one member may pledge"),
                                  validators=[Optional(), NumberRange(min=1, max=MAX_ID)])

    @classmethod
    def filled_from(cls, group_buy) -> GroupBuyForm:
        """The edit form showing the group buy as it is, its deadline in the community's time zone."""
        local = group_buy.deadline.astimezone(ZoneInfo(group_buy.community.timezone)).replace(tzinfo=None)
        form = cls(formdata=None, title=group_buy.title, description=group_buy.description,
                   margin_kind=group_buy.margin_kind.value, margin=format_margin(group_buy), deadline=local,
                   deposit_percent=group_buy.deposit_percent, per_member_max=group_buy.per_member_max)
        form.pickup_point_ids.data = [point.id for point in group_buy.pickup_points]
        return form

    def offer_points(self, points) -> GroupBuyForm:
        self.pickup_point_ids.choices = [(point.id, point.name) for point in points]
        return self

    def deadline_utc(self, timezone: str) -> datetime | None:
        """The deadline typed in the community's time zone, as an aware time."""
        local = self.deadline.data
        return None if local is None else local.replace(tzinfo=ZoneInfo(timezone))

    def values(self, timezone: str) -> dict:
        return {"title": self.title.data, "description": self.description.data or "",
                "margin_kind": self.margin_kind.data, "margin": self.margin.data,
                "deadline": self.deadline_utc(timezone), "pickup_point_ids": self.pickup_point_ids.data or [],
                "deposit_percent": self.deposit_percent.data, "per_member_max": self.per_member_max.data}


class NewGroupBuyForm(GroupBuyForm):
    offer_id = SelectField(_l("Offer"), coerce=int, validate_choice=True)
    images = MultipleFileField(_l("Photos (optional; the product's are shown otherwise)"))

    def offer_offers(self, offers) -> NewGroupBuyForm:
        self.offer_id.choices = [(offer.id, _offer_label(offer)) for offer in offers]
        return self


def _offer_label(offer) -> str:
    variant = offer.variant
    first = offer.tiers[0].unit_price if offer.tiers else 0
    return (f"{variant.product.name} — {variant.name} · {offer.supplier.name} · "
            f"{money(first, offer.currency)}")


class PledgeForm(FlaskForm):
    quantity = IntegerField(_l("Quantity"), default=1, validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    tolerance = IntegerField(_l("Tolerance: I would take up to this many more to complete a case"), default=0,
                             validators=[Optional(), NumberRange(min=0, max=MAX_ID)])
    pickup_point_id = SelectField(_l("Pickup point"), coerce=int, validate_choice=True)

    def offer_points(self, points) -> PledgeForm:
        self.pickup_point_id.choices = [(point.id, f"{point.name} — {point.address}") for point in points]
        return self
