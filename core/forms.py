"""Glue between Flask-WTF forms and DomainError: a refused form is shown again with its errors."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from core.errors import DomainError
from core.i18n import LANGUAGES


class LanguageForm(FlaskForm):
    """The language switch in every page's header."""

    locale = SelectField(_l("Language"), choices=list(LANGUAGES.items()))


def form_error(form, error: DomainError, template: str, status: int | None = None, **context):
    """Attach ``error`` to its field (or the form) and re-render with a 4xx, so nothing commits."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))
    return render_template(template, form=form, **context), status or (
        error.status if error.status >= 400 else 422)


def invalid_form(template: str, form, **context):
    """A form that failed validation: shown again, 422, nothing saved."""
    return render_template(template, form=form, **context), 422
