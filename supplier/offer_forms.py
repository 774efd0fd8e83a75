"""The offer form: terms, a window typed in a chosen time zone, and a few rows of price tiers."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, FieldList, Form, FormField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from supplier.forms import PriceField
from supplier.models import Offer
from supplier.offer_rules import MAX_QUANTITY, MAX_TIERS
from supplier.offers import KEEP
from supplier.validation import MAX_CASE_PACK, MAX_LEAD_TIME_DAYS

#: tier rows shown on a new offer; an offer with more tiers shows them all plus none
TIER_ROWS = 5
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


@cache
def timezones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() | {"UTC"}))


def default_timezone(user) -> str:
    """The user's own time zone when it is a real one, UTC otherwise."""
    zone = getattr(user, "timezone", None)
    return zone if zone in timezones() else "UTC"


class TierRow(Form):
    """One price tier: from this pooled quantity on, this unit price. A blank row is ignored."""

    min_quantity = IntegerField(_l("From quantity"), validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)])
    unit_price = PriceField(_l("Unit price"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not (self.min_quantity.raw_data and self.min_quantity.raw_data[0].strip()) and not (
            (self.unit_price.data or "").strip())


class OfferForm(FlaskForm):
    moq = IntegerField(_l("Minimum order (MOQ)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)])
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)])
    case_pack = IntegerField(_l("Units per case"),
                             validators=[InputRequired(), NumberRange(min=1, max=MAX_CASE_PACK)])
    lead_time_days = IntegerField(_l("Lead time (days)"),
                                  validators=[InputRequired(), NumberRange(min=0, max=MAX_LEAD_TIME_DAYS)])
    opens_at = DateTimeLocalField(_l("Opens"), format=_DATETIME_FORMATS, validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Closes"), format=_DATETIME_FORMATS, validators=[InputRequired()])
    timezone = SelectField(_l("Time zone of these times"), choices=lambda: [(z, z) for z in timezones()],
                           validate_choice=True)
    tiers = FieldList(FormField(TierRow), min_entries=TIER_ROWS, max_entries=MAX_TIERS)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        for entry in self.tiers:
            entry.form.currency = currency

    def validate_tiers(self, field) -> None:
        for entry in field:
            row = entry.form
            if not row.is_blank() and (row.min_quantity.data is None or not (row.unit_price.data or "").strip()):
                raise ValidationError(_l("Give each tier both a quantity and a price, or leave its row blank."))

    def suggest_window(self, now: datetime, zone: str) -> None:
        """A new offer opens now and closes in a week, read to the minute in ``zone``."""
        start = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)
        self.opens_at.data, self.closes_at.data = start, start + timedelta(days=7)

    def fill(self, offer: Offer, zone: str) -> None:
        """Show a stored offer: times in ``zone``, prices as the decimals the supplier typed."""
        tz = ZoneInfo(zone)
        self.opens_at.data = offer.opens_at.astimezone(tz).replace(tzinfo=None)
        self.closes_at.data = offer.closes_at.astimezone(tz).replace(tzinfo=None)
        self.timezone.data = zone
        while len(self.tiers) < len(offer.tiers):
            self.tiers.append_entry()
            self.tiers[-1].form.currency = self.currency
        for entry, tier in zip(self.tiers, offer.tiers, strict=False):
            entry.form.min_quantity.data = tier.min_quantity
            entry.form.unit_price.set_minor_units(tier.unit_price, self.currency)

    def _utc(self, field, stored: datetime | None):
        """The typed time in the chosen zone; ``KEEP`` when it is the stored one read to the minute."""
        value = field.data.replace(tzinfo=ZoneInfo(self.timezone.data))
        if stored is not None and stored.replace(second=0, microsecond=0) == value:
            return KEEP
        return value

    def values(self, offer: Offer | None = None) -> dict:
        """The checked values as the offer services take them: prices in minor units, times aware."""
        tiers = [(entry.form.min_quantity.data, entry.form.unit_price.minor_units)
                 for entry in self.tiers if not entry.form.is_blank()]
        return {"moq": self.moq.data, "capacity": self.capacity.data, "case_pack": self.case_pack.data,
                "lead_time_days": self.lead_time_days.data, "tiers": tiers,
                "opens_at": self._utc(self.opens_at, offer.opens_at if offer else None),
                "closes_at": self._utc(self.closes_at, offer.closes_at if offer else None)}
