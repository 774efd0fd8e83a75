"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, request
from flask_babel import format_datetime, get_locale

from core.i18n import LANGUAGES
from core.money import Money


def money(amount: int | None, currency: str) -> str:
    """``{{ variant.wholesale_price|money(variant.currency) }}`` in the page's locale."""
    if amount is None:
        return ""
    return Money(int(amount), currency).format(str(get_locale() or "en"))


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
    """A UTC time shown in a community's time zone (or the user's, by default)."""
    if value is None:
        return ""
    if tz:
        local = value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        from babel.dates import format_datetime as babel_format

        return babel_format(local, fmt, locale=str(get_locale() or "en"))
    return format_datetime(value, fmt)


def role_label(role: str) -> str:
    from flask_babel import gettext as _

    return {"operator": _("Operator"), "supplier": _("Supplier"), "shopkeeper": _("Shopkeeper"),
            "member": _("Member")}.get(role, role)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["role_label"] = role_label

    @app.context_processor
    def _page_context():
        from accounts.forms import LanguageForm

        return {
            "current_locale": str(get_locale() or "en"),
            "language_form": LanguageForm(formdata=None, locale=str(get_locale() or "en")),
            "html_lang": "zh-Hans" if str(get_locale()).startswith("zh") else "en",
            "endpoint": request.endpoint or "",
        }
