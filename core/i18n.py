"""Language choice: the user's own setting, then the session's, then Accept-Language."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept

#: locale code → name shown in its own language
LANGUAGES = {"en": "English", "zh_Hans_CN": "简体中文"}


def locale_for(accept: LanguageAccept) -> str:
    """The locale an Accept-Language header asks for (English unless it prefers Chinese)."""
    best = accept.best_match(["en", "zh", "zh-CN", "zh-Hans", "zh-Hans-CN", "zh-SG"])
    return "zh_Hans_CN" if best and best.startswith("zh") else "en"


def _from_accept_language() -> str:
    return locale_for(request.accept_languages)


def select_locale() -> str:
    if not has_request_context():  # a job or a command: callers use flask_babel.force_locale
        return "en"
    user_choice = getattr(current_user, "locale", None) if current_user else None
    for choice in (request.args.get("lang"), user_choice, session.get("locale")):
        if choice in LANGUAGES:
            return choice
    return _from_accept_language()


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    return getattr(current_user, "timezone", None) or None
