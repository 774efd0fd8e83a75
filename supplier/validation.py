"""The catalog's limits and the text checks every service applies, whatever the input path (form,
API, script): values must fit their columns, and text must be storable on every database."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError
from core.extensions import db
from core.validation import MAX_ID  # noqa: F401  (re-exported for this package)

#: prices are minor units per unit in an INTEGER column: up to 10 million major units (CNY, USD…)
MAX_PRICE = 1_000_000_000
MAX_CASE_PACK = 100_000
MAX_LEAD_TIME_DAYS = 3_650
MAX_TAGS_PER_PRODUCT = 50
MAX_IMAGES_PER_PRODUCT = 12

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG_PART = re.compile(r"^[a-z0-9-]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t]")


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = True,
               multiline: bool = False) -> str:
    """``value`` stripped, or ``required`` / ``too_long`` / ``bad_text`` on ``field``.

    Control characters (NUL above all, which PostgreSQL refuses) and unpaired surrogates are refused
    rather than stored; single-line values refuse line breaks too."""
    text = (value or "").strip()
    if required and not text:
        raise DomainError("required", _l("This field is required."), field=field, status=422)
    if len(text) > max_length:
        raise DomainError("too_long", _l("Use at most %(n)s characters.", n=max_length), field=field,
                          status=422)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DomainError("bad_text", _l("This text contains characters we cannot store."), field=field,
                          status=422) from None
    if _CONTROL.search(text) or (not multiline and _LINE_BREAK.search(text)):
        raise DomainError("bad_text", _l("This text contains characters we cannot store."), field=field,
                          status=422)
    return text


def search_text(value: str | None, max_length: int = 100) -> str:
    """What a search box may send to the database: no control characters or unpaired surrogates."""
    text = _CONTROL.sub("", _LINE_BREAK.sub(" ", value or "")).strip()[:max_length]
    return text.encode("utf-8", "ignore").decode("utf-8")


def check_range(value: int, *, field: str, minimum: int, maximum: int) -> int:
    """``value`` as an int within ``minimum..maximum``, or ``out_of_range`` on ``field``."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise DomainError("out_of_range", _l("Enter a whole number from %(min)s to %(max)s.",
                                             min=minimum, max=maximum), field=field, status=422)
    return value


def check_pattern(value: str, pattern: re.Pattern, *, field: str, message) -> str:
    if not pattern.match(value):
        raise DomainError("bad_format", message, field=field, status=422)
    return value


def flush_or_conflict(conflict: DomainError) -> None:
    """Flush, turning a unique-key violation (a concurrent twin that slipped past the check before it)
    into ``conflict``. The unit of work is rolled back then, as the refused request would be anyway."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise conflict from None
