"""Input rules shared by the community forms, the API schemas and the services, so that a page and
the API accept exactly the same values."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.validation import MAX_ID  # noqa: F401  (re-exported for this package)

#: community slugs: lowercase letters, digits and single dashes, as they appear in /c/<slug>
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN, SLUG_MAX = 2, 64
#: invite tokens are URL-safe base64 (secrets.token_urlsafe)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: URL converter for ids: a number outside INTEGER's range is a 404 at routing, never a database error
ID = f"int(min=1, max={MAX_ID})"
#: invites are counted in a 32-bit column too
MAX_INVITE_USES = 1_000_000


def clean_text(value):
    """Strip surrounding space and the NUL character (which PostgreSQL refuses in text)."""
    if value is None:
        return None
    return str(value).replace("\x00", "").strip()


#: counts in INTEGER columns (units, minutes, minor units)
MAX_WHOLE = 2**31 - 1


def refuse(code: str, message, field: str):
    raise DomainError(code, message, field=field, status=422)


def text_field(value, field: str, max_length: int, required: bool) -> str:
    """A cleaned text field, refused (422 on ``field``) when required and empty or when too long."""
    text = clean_text(value) if isinstance(value, str) else ""
    if required and not text:
        refuse("required", _l("This field is required."), field)
    if len(text) > max_length:
        refuse("too_long", _l("Keep it under %(n)s characters.", n=max_length), field)
    return text


def whole_number(value, field: str, low: int, high: int = MAX_WHOLE) -> int:
    """An int from ``low`` to ``high`` (not a bool), refused (422 on ``field``) otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        refuse("out_of_range", _l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high), field)
    return value


def is_slug(value: str) -> bool:
    return SLUG_MIN <= len(value) <= SLUG_MAX and bool(SLUG_RE.match(value))


def slug_from(name: str) -> str:
    """The ASCII slug a name suggests ("Green Garden!" → "green-garden"); empty when nothing is left
    (a name written only in Chinese, say)."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX - 4].strip("-")


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    """Every IANA time zone this system knows, sorted (computed once: it reads the zone database)."""
    return tuple(sorted(available_timezones()))


@lru_cache(maxsize=1)
def _timezone_set() -> frozenset[str]:
    return frozenset(timezones())


def is_timezone(value: str) -> bool:
    return value in _timezone_set()
