"""English and Simplified Chinese ship complete: every string in the code has a Chinese translation,
and every page a user can reach renders in Chinese with no English interface text left over."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.extensions import db

ROOT = Path(__file__).resolve().parent.parent
ZH = "zh_Hans_CN"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "pgettext": ((1, "c"), 2)}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
SKIP_DIRS = {".venv", ".git", "node_modules", "test-output", "instance", "build", "tests", "migrations", "bench"}


def source_messages() -> set[str]:
    found: set[str] = set()
    for path, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS,
            callback=None, strip_comment_tags=True,
            directory_filter=lambda d: Path(d).name not in SKIP_DIRS):
        del path
        found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


def chinese_catalog():
    with open(ROOT / "translations" / ZH / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=ZH)


def test_every_string_in_the_code_has_a_chinese_translation():
    catalog = chinese_catalog()
    missing = []
    for msgid in sorted(source_messages()):
        message = catalog.get(msgid)
        translated = message is not None and (all(message.string) if isinstance(message.string, tuple)
                                              else bool(message.string))
        if not translated or message.fuzzy:
            missing.append(msgid)
    assert not missing, f"{len(missing)} strings lack a Chinese translation (run scripts/i18n): {missing[:20]}"


def test_translations_keep_their_placeholders():
    for message in chinese_catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[0]))
        for text in strings:
            assert set(re.findall(r"%\(\w+\)s", text)) == wanted, message.id


class _Text(HTMLParser):
    """Collects visible text nodes, the attributes people read, and links."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "code", "pre", "textarea"):
            self._skip += 1
        for name in ("placeholder", "title", "aria-label", "alt"):
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def _english_patterns() -> list[re.Pattern]:
    patterns = []
    for msgid in source_messages():
        text = " ".join(msgid.split())
        if not re.search(r"[A-Za-z]{3,}", text) or text in ("Tuan",):
            continue
        regex = re.escape(text)
        regex = re.sub(r"%\\\(\w+\\\)[sd]", ".+?", regex)
        patterns.append(re.compile(regex))
    return patterns


SKIP_LINK = re.compile(r"(/logout|\.csv$|^/uploads/|^/static/|^/api/|/join/)")


def crawl(client, start: list[str], limit: int = 80) -> dict[str, tuple[int, _Text]]:
    seen: dict[str, tuple[int, _Text]] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = urlparse(url).path + (f"?{urlparse(url).query}" if urlparse(url).query else "")
        if path in seen or SKIP_LINK.search(urlparse(url).path):
            continue
        response = client.get(path)
        parser = _Text()
        if response.mimetype == "text/html":
            parser.feed(response.get_data(as_text=True))
        seen[path] = (response.status_code, parser)
        for href in parser.links:
            absolute = urlparse(urljoin("http://localhost" + path, href))
            if absolute.netloc == "localhost" and not absolute.path.startswith("//"):
                target = absolute.path + (f"?{absolute.query}" if absolute.query else "")
                if target not in seen:
                    queue.append(target)
    return seen


@pytest.fixture
def demo_world(app):
    from demo import seed_demo

    world = seed_demo(members=12)
    from accounts.models import User

    for user in db.session.execute(db.select(User)).scalars():
        user.locale = ZH
    db.session.commit()
    return world


@pytest.mark.parametrize("who", ["operator", "supplier", "shopkeeper", "member", "visitor"])
def test_every_page_renders_in_chinese(app, demo_world, who):
    from tests.factories import login_as

    client = app.test_client()
    if who == "visitor":
        start = ["/?lang=" + ZH, "/login?lang=" + ZH, "/register?lang=" + ZH, "/join/demo-lin-fruit?lang=" + ZH]
    else:
        email = demo_world["shopkeepers"][0] if who == "shopkeeper" else demo_world[who]
        response = client.post("/login", data={"email": email, "password": "tuan-demo"})
        assert response.status_code == 302
        start = ["/"]
    del login_as
    pages = crawl(client, start)
    assert len(pages) >= (3 if who == "visitor" else 5), sorted(pages)
    broken = {path: status for path, (status, _) in pages.items() if status >= 500}
    assert not broken, broken
    patterns = _english_patterns()
    leftovers = {}
    for path, (_status, parsed) in pages.items():
        english = [t for t in parsed.texts if any(p.fullmatch(t) for p in patterns)]
        if english:
            leftovers[path] = english[:5]
    assert not leftovers, f"untranslated interface text: {leftovers}"
