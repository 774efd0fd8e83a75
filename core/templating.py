"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime as babel_format
from flask import Flask, request
from flask_babel import format_datetime, get_locale

from core.forms import LanguageForm
from core.i18n import LANGUAGES
from core.money import Money


def money(amount: int | None, currency: str) -> str:
    """``{{ variant.wholesale_price|money(variant.currency) }}`` in the page's locale."""
    if amount is None:
        return ""
    return Money(int(amount), currency).format(str(get_locale() or "en"))


def _date_and_minutes(locale: Locale) -> str:
    """The locale's medium date with its short time: "Nov 21, 2026, 7:43 PM", "2026年11月21日 19:43"."""
    return locale.datetime_formats["medium"].format(locale.time_formats["short"].pattern,
                                                     locale.date_formats["medium"].pattern)


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
    """A UTC time shown in a community's time zone (or the user's, by default). "medium" reads to the
    minute; "short", "long" or a Babel pattern ("yyyy-MM-dd") as Babel has them."""
    if value is None:
        return ""
    locale = get_locale() or Locale.parse("en")
    pattern = _date_and_minutes(locale) if fmt == "medium" else fmt
    if tz:
        local = value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        return babel_format(local, pattern, locale=locale)
    return format_datetime(value, pattern)


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
        return {
            "current_locale": str(get_locale() or "en"),
            "language_form": LanguageForm(formdata=None, locale=str(get_locale() or "en")),
            "html_lang": "zh-Hans" if str(get_locale()).startswith("zh") else "en",
            "endpoint": request.endpoint or "",
        }
