"""Input rules shared by the community forms, the API schemas and the services, so that a page and
the API accept exactly the same values."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from zoneinfo import available_timezones

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
