"""Forms for the catalog and the operator's pages."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import invalid_form
from core.money import SUPPORTED_CURRENCIES, Money
from supplier.validation import MAX_CASE_PACK, MAX_LEAD_TIME_DAYS, MAX_PRICE


def show_form(form, template: str, **context):
    """A GET shows the form; a submitted form that failed validation is shown again with a 422."""
    if form.is_submitted():
        return invalid_form(template, form, **context)
    return render_template(template, form=form, **context)


class PriceField(StringField):
    """A price typed as a decimal in major units ("12.50"), read into minor units of ``form.currency``
    (``field.minor_units``). Refuses words, negatives and more decimals than the currency has."""

    minor_units: int | None = None

    def pre_validate(self, form) -> None:
        self.minor_units = None
        text = (self.data or "").strip()
        if not text:
            return
        try:
            money = Money.parse(text, form.currency)
            valid = Decimal(text).is_finite()
        except (ArithmeticError, ValueError, TypeError):
            raise ValidationError(_l("Enter an amount like 12.50, with at most the currency's decimals.")) from None
        if not valid or not 0 <= money.amount <= MAX_PRICE:
            raise ValidationError(_l("Enter an amount from 0 to %(max)s.",
                                     max=Money(MAX_PRICE, form.currency).major()))
        self.minor_units = money.amount

    def set_minor_units(self, amount: int, currency: str) -> None:
        """Show a stored price as the decimal the supplier typed."""
        self.data = str(Money(amount, currency).major())


class SupplierForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("Short address"), validators=[DataRequired(), Length(max=64)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    currency = SelectField(_l("Currency"), choices=[(code, code) for code in SUPPORTED_CURRENCIES])


class EmailForm(FlaskForm):
    """Add a supplier's staff member, or onboard a shopkeeper: by the email of an existing account."""

    email = EmailField(_l("Email of an existing account"), validators=[DataRequired(), Length(max=254)])


class TagForm(FlaskForm):
    namespace = StringField(_l("Namespace"), validators=[DataRequired(), Length(max=32)])
    value = StringField(_l("Value"), validators=[DataRequired(), Length(max=32)])
    label_en = StringField(_l("English label"), validators=[DataRequired(), Length(max=64)])
    label_zh = StringField(_l("Chinese label"), validators=[DataRequired(), Length(max=64)])


class TagEditForm(TagForm):
    active = BooleanField(_l("Active (offered for choosing and used for matching)"))


class ProductForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    tag_ids = SelectMultipleField(_l("Tags"), coerce=int, choices=[], validate_choice=True)

    def offer_tags(self, grouped: dict, carried=()) -> None:
        """Offer the active taxonomy (``grouped`` by namespace) plus tags the product already carries."""
        self.tag_groups = {namespace: list(tags) for namespace, tags in grouped.items()}
        offered = {tag.id for tags in self.tag_groups.values() for tag in tags}
        for tag in carried:
            if tag.id not in offered:
                self.tag_groups.setdefault(tag.namespace, []).append(tag)
        self.tag_ids.choices = [(tag.id, tag.code) for tags in self.tag_groups.values() for tag in tags]


class VariantForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)],
                       description=_l("e.g. 500 g, or Large, red"))
    unit = StringField(_l("Unit"), default=_l("piece"), validators=[DataRequired(), Length(max=32)])
    case_pack = IntegerField(_l("Units per case"), default=1,
                             validators=[InputRequired(), NumberRange(min=1, max=MAX_CASE_PACK)])
    wholesale_price = PriceField(_l("Wholesale price per unit"), validators=[DataRequired()])
    retail_price = PriceField(_l("Suggested retail price per unit"), validators=[DataRequired()])
    lead_time_days = IntegerField(_l("Lead time (days)"), default=0,
                                  validators=[InputRequired(), NumberRange(min=0, max=MAX_LEAD_TIME_DAYS)])

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def values(self) -> dict:
        """The checked values, prices in minor units, as the catalog services take them."""
        return {"sku": self.sku.data, "name": self.name.data, "unit": self.unit.data,
                "case_pack": self.case_pack.data, "wholesale_price": self.wholesale_price.minor_units,
                "retail_price": self.retail_price.minor_units, "lead_time_days": self.lead_time_days.data}


class ImagesForm(FlaskForm):
    images = MultipleFileField(_l("Add images (JPEG, PNG, WebP or GIF)"), validators=[Optional()])
