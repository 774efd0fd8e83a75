"""Rules the feed and the messages share: how a written body is checked, how an id from a URL finds its
row, and how far a page number may go — so that the pages and the API refuse exactly the same input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination

from core.errors import DomainError
from core.extensions import db
from shopkeeper.validation import MAX_ID, clean_text

#: beyond this a page is empty anyway; the cap keeps OFFSET inside what the database accepts
MAX_PAGE = 100_000


def check_body(value, *, max_length: int, required, field: str = "body") -> str:
    """The text stripped of surrounding space (and of NUL, which PostgreSQL refuses).

    Raises ``required`` when nothing is left, ``too_long`` past ``max_length`` characters and
    ``bad_text`` for characters no database can store (lone surrogates from a JSON body)."""
    text = clean_text(value) if isinstance(value, str) else ""
    if not text:
        raise DomainError("required", required, field=field)
    if len(text) > max_length:
        raise DomainError("too_long", _l("Keep it under %(n)s characters.", n=max_length), field=field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DomainError("bad_text", _l("That text contains characters we cannot store."), field=field) from None
    return text


def get_by_id(model, ident: int):
    """The row with this id, or None — also for numbers no row can have (a huge id typed into a URL)."""
    if not isinstance(ident, int) or not 0 < ident <= MAX_ID:
        return None
    return db.session.get(model, ident)


def paginate(query, page: int, per_page: int) -> Pagination:
    """One page of ``query`` (which selects a model) and its total; out-of-range pages are simply empty."""
    page = max(1, min(int(page or 1), MAX_PAGE))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
