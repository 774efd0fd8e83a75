"""Forms for the community pages. Values are only shaped here; the services decide what is allowed."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateTimeLocalField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from core.forms import invalid_form
from core.money import SUPPORTED_CURRENCIES
from shopkeeper.validation import MAX_ID, MAX_INVITE_USES, SLUG_MAX, SLUG_MIN, SLUG_RE, clean_text, timezones

TEXT = [clean_text]


def attach_error(form: FlaskForm, error) -> None:
    """Show a service's refusal on the field it names (or above the form), for pages with several forms."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def show_form(template: str, form: FlaskForm, **context):
    """A form page: shown as it is for a GET, shown again with its field errors (422) for a refused POST."""
    if form.is_submitted():
        return invalid_form(template, form, **context)
    return render_template(template, form=form, **context)


def optional_id(value):
    """A <select> value that may be empty ("no choice"): None, or an id."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError("out of range")
    return number


class CommunitySettingsForm(FlaskForm):
    name = StringField(_l("Name"), filters=TEXT, validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), filters=TEXT, validators=[Length(max=5000)])
    currency = SelectField(_l("Currency"), choices=[(code, code) for code in SUPPORTED_CURRENCIES])
    timezone = SelectField(_l("Time zone"), choices=lambda: [(zone, zone) for zone in timezones()],
                           default="Asia/Shanghai")


class CommunityForm(CommunitySettingsForm):
    slug = StringField(_l("Web address"), filters=[clean_text, lambda value: value.lower() if value else value],
                       validators=[
                           Optional(), Length(min=SLUG_MIN, max=SLUG_MAX),
                           Regexp(SLUG_RE, message=_l("Use lowercase letters, digits and dashes, like green-garden."))])


class PickupPointForm(FlaskForm):
    name = StringField(_l("Name"), filters=TEXT, validators=[DataRequired(), Length(max=120)])
    address = TextAreaField(_l("Address"), filters=TEXT, validators=[DataRequired(), Length(max=2000)])
    region = StringField(_l("District or city"), filters=TEXT, validators=[Length(max=64)])
    opening_hours = TextAreaField(_l("Opening hours"), filters=TEXT, validators=[Length(max=2000)])

    def values(self) -> dict:
        return {key: getattr(self, key).data or "" for key in ("name", "address", "region", "opening_hours")}


class InviteForm(FlaskForm):
    label = StringField(_l("Label"), filters=TEXT, validators=[Length(max=80)])
    expires_at = DateTimeLocalField(_l("Expires"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    max_uses = IntegerField(_l("Maximum uses"), validators=[Optional(), NumberRange(min=1, max=MAX_INVITE_USES)])


class PickupChoiceForm(FlaskForm):
    pickup_point_id = SelectField(_l("Pickup point"), coerce=optional_id, validate_choice=True)

    def offer(self, points) -> PickupChoiceForm:
        self.pickup_point_id.choices = [("", _l("Decide later"))] + [
            (point.id, f"{point.name} — {point.address}") for point in points]
        return self


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TagsForm(FlaskForm):
    tag_ids = CheckboxesField(_l("Tags"), coerce=int)

    def offer(self, tags, locale: str) -> TagsForm:
        """Offer the taxonomy's tags; the page groups ``taxonomy`` by namespace, labelled in ``locale``."""
        self.taxonomy, self.locale = list(tags), locale
        self.tag_ids.choices = [(tag.id, tag.label(locale)) for tag in self.taxonomy]
        return self


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Private note"), filters=TEXT, validators=[Length(max=5000)])


@dataclass(frozen=True)
class MemberFilters:
    """The member list's filters, read leniently from a query string: garbage is ignored, not an error."""

    q: str = ""
    tag_ids: tuple[int, ...] = ()
    pickup_point_id: int | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict) -> MemberFilters:
        tag_ids = tuple(dict.fromkeys(t for t in args.getlist("tag", type=int) if 1 <= t <= MAX_ID))
        point = args.get("pickup_point", type=int)
        page = args.get("page", 1, type=int)
        return cls(q=(clean_text(args.get("q", "")) or "")[:80], tag_ids=tag_ids,
                   pickup_point_id=point if point is not None and 1 <= point <= MAX_ID else None,
                   page=page if 1 <= page <= 100_000 else 1)

    def query(self) -> dict:
        """As keyword arguments for ``members.member_page`` and the export."""
        return {"q": self.q or None, "tag_ids": self.tag_ids, "pickup_point_id": self.pickup_point_id}

    def url_args(self) -> dict:
        """As query-string arguments for links (pages, CSV) that keep the same filters."""
        args: dict = {}
        if self.q:
            args["q"] = self.q
        if self.tag_ids:
            args["tag"] = list(self.tag_ids)
        if self.pickup_point_id:
            args["pickup_point"] = self.pickup_point_id
        return args
