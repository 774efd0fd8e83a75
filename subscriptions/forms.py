"""Forms for the subscription box pages. Values are only shaped here (prices into minor units, blank menu
rows dropped); ``subscriptions.plans`` and ``subscriptions.services`` decide what is allowed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from shopkeeper.forms import TEXT, CheckboxesField, optional_id
from shopkeeper.validation import MAX_ID
from subscriptions.models import Fulfilment, PaymentChoice
from subscriptions.plans import MAX_CUTOFF_HOURS, MAX_LEAD_DAYS
from supplier.forms import PriceField

CADENCES = [("weekly", _l("Every week")), ("fortnightly", _l("Every two weeks")), ("monthly", _l("Every month"))]
FULFILMENTS = [(Fulfilment.PICKUP.value, _l("Pickup at a pickup point")),
               (Fulfilment.DELIVERY.value, _l("Delivery to the door"))]
ID_FIELD = [InputRequired(), NumberRange(min=1, max=MAX_ID)]


def _variant_choices(variants) -> list[tuple]:
    return [("", "—")] + [(v.id, f"{v.product.name} — {v.name}") for v in variants]


class SubscribeForm(FlaskForm):
    pickup_point_id = SelectField(_l("Pickup point"), coerce=optional_id, validate_choice=True)
    delivery_address = TextAreaField(_l("Delivery address"), filters=TEXT, validators=[Length(max=500)])
    payment_choice = SelectField(_l("Payment"), default=PaymentChoice.AT_PICKUP.value, validate_choice=True)

    def offer(self, plan, card_on_file: bool) -> SubscribeForm:
        """Ask where the box goes (a pickup point or an address) and offer the card only when one is saved."""
        if plan.fulfilment == Fulfilment.PICKUP:
            self.pickup_point_id.choices = [(p.id, f"{p.name} — {p.address}") for p in plan.pickup_points]
            del self.delivery_address
        else:
            del self.pickup_point_id
        self.payment_choice.choices = [(PaymentChoice.AT_PICKUP.value, _l("Pay at pickup"))]
        if card_on_file:
            self.payment_choice.choices.append((PaymentChoice.CARD.value, _l("Card (charged at each cut-off)")))
        return self

    def values(self) -> dict:
        return {"pickup_point_id": self.pickup_point_id.data if "pickup_point_id" in self else None,
                "delivery_address": self.delivery_address.data or "" if "delivery_address" in self else "",
                "payment_choice": self.payment_choice.data}


class DeliveryForm(FlaskForm):
    """Skip or take back a skip of one delivery."""

    delivery_date = DateField(_l("Delivery date"), validators=[InputRequired()])


class SwapForm(DeliveryForm):
    variant_id = IntegerField(_l("Item"), validators=ID_FIELD)
    alternative_id = IntegerField(_l("Instead"), validators=ID_FIELD)


class PauseForm(FlaskForm):
    until = DateField(_l("Pause until"), validators=[Optional()])
    until_resumed = BooleanField(_l("Until I resume"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.until.data is None and not self.until_resumed.data:
            self.until.errors = [*self.until.errors, _l("Choose the date of your first box back, or pause until you "
                                                         "resume.")]
            return False
        return valid

    def until_date(self):
        return None if self.until_resumed.data else self.until.data


class PickupPointForm(FlaskForm):
    pickup_point_id = SelectField(_l("Pickup point"), coerce=int, validate_choice=True)

    def offer(self, plan) -> PickupPointForm:
        self.pickup_point_id.choices = [(p.id, f"{p.name} — {p.address}") for p in plan.pickup_points]
        return self


class ItemForm(Form):
    """One row of a box: blank rows are left out."""

    variant_id = SelectField(_l("Product"), coerce=optional_id, validate_choice=True)
    quantity = IntegerField(_l("Quantity"), default=1, validators=[Optional(), NumberRange(min=1, max=999)])
    lead_time_days = IntegerField(_l("Lead time (days)"), default=0,
                                  validators=[Optional(), NumberRange(min=0, max=MAX_LEAD_DAYS)])


class SwapRowForm(Form):
    variant_id = SelectField(_l("Item"), coerce=optional_id, validate_choice=True)
    alternative_id = SelectField(_l("May be swapped for"), coerce=optional_id, validate_choice=True)


def _items(rows) -> list[tuple[int, int, int]]:
    return [(row.variant_id.data, 1 if row.quantity.data is None else row.quantity.data,
             row.lead_time_days.data or 0) for row in rows if row.variant_id.data]


class MenuForm(FlaskForm):
    """The box of one coming delivery."""

    items = FieldList(FormField(ItemForm), min_entries=6)

    def offer(self, variants):
        for row in self.items:
            row.variant_id.choices = _variant_choices(variants)
        return self

    def menu(self) -> list[tuple[int, int, int]]:
        return _items(self.items)


class PlanForm(MenuForm):
    name = StringField(_l("Name"), filters=TEXT, validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), filters=TEXT, validators=[Length(max=4000)])
    cadence = SelectField(_l("How often"), choices=CADENCES, default="weekly")
    weekday = SelectField(_l("Delivery day"), coerce=int, validate_choice=True, default=5)
    starts_on = DateField(_l("First delivery on or after"), validators=[InputRequired()])
    delivery_hour = IntegerField(_l("Delivery hour (0–23, local time)"), default=9,
                                 validators=[InputRequired(), NumberRange(min=0, max=23)])
    price = PriceField(_l("Price per box"), validators=[DataRequired()])
    cutoff_hours = IntegerField(_l("Cut-off: hours before delivery"), default=48,
                                validators=[InputRequired(), NumberRange(min=0, max=MAX_CUTOFF_HOURS)])
    capacity = IntegerField(_l("Boxes per delivery (blank: no limit)"),
                            validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    fulfilment = SelectField(_l("How members get the box"), choices=FULFILMENTS, default=Fulfilment.PICKUP.value)
    pickup_point_ids = CheckboxesField(_l("Pickup points"), coerce=int)
    swaps = FieldList(FormField(SwapRowForm), min_entries=3)

    def __init__(self, *args, currency: str = "CNY", **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)

    @classmethod
    def filled_from(cls, view) -> PlanForm:
        """The edit form showing a plan as it is (``view``: ``queries.describe_plan``)."""
        plan = view.plan
        form = cls(formdata=None, currency=plan.currency, data={
            "items": [{"variant_id": i.variant.id, "quantity": i.quantity, "lead_time_days": i.lead_time_days}
                      for i in view.menu],
            "swaps": [{"variant_id": item.id, "alternative_id": alternative.id} for item, alternative in view.swaps]})
        for name in ("name", "description", "weekday", "starts_on", "delivery_hour", "cutoff_hours", "capacity"):
            getattr(form, name).data = getattr(plan, name)
        form.cadence.data, form.fulfilment.data = plan.cadence.value, plan.fulfilment.value
        form.price.set_minor_units(plan.price, plan.currency)
        form.pickup_point_ids.data = [point.id for point in plan.pickup_points]
        return form

    def offer_plan_choices(self, variants, points, weekdays) -> PlanForm:
        self.offer(variants)
        for row in self.swaps:
            row.variant_id.choices = row.alternative_id.choices = _variant_choices(variants)
        self.pickup_point_ids.choices = [(p.id, p.name) for p in points]
        self.weekday.choices = list(enumerate(weekdays))
        return self

    def values(self) -> dict:
        return {"name": self.name.data, "description": self.description.data or "", "cadence": self.cadence.data,
                "weekday": self.weekday.data, "starts_on": self.starts_on.data,
                "delivery_hour": self.delivery_hour.data, "price": self.price.minor_units,
                "cutoff_hours": self.cutoff_hours.data, "capacity": self.capacity.data,
                "fulfilment": self.fulfilment.data, "pickup_point_ids": self.pickup_point_ids.data or [],
                "items": self.menu(),
                "swaps": [(row.variant_id.data, row.alternative_id.data) for row in self.swaps
                          if row.variant_id.data and row.alternative_id.data]}
