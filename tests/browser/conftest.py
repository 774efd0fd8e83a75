"""Browser fixtures: Debian's chromium driven by Playwright against a live server on this machine.

The live server is a second app instance on the same test database as the ``app`` fixture, with CSRF
switched on, so that the pages are exercised as a phone would: real forms, real tokens, real cookies.
No browser is ever downloaded; without /usr/bin/chromium the tests skip (or fail when
TUAN_REQUIRE_BROWSER=1, as CI sets it)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "en-US"}
#: how long auto-waiting assertions and actions wait; generous for two busy cores
TIMEOUT_MS = 15_000


def _no_browser(reason: str):
    if os.environ.get("TUAN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (TUAN_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


class QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request; errors still reach the log."""

    def log_request(self, code="-", size="-"):
        pass


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[LiveServer]:
    """The app served over HTTP on 127.0.0.1 (a free port), in a daemon thread, for the whole session."""
    from app import create_app

    served = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "browser-test-secret",
        "WTF_CSRF_ENABLED": True,
        "JOBS_BACKEND": "inprocess",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "PASSWORD_TIME_COST": 1,
        "PASSWORD_MEMORY_COST": 64,
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "SERVER_NAME": None,
    })
    server = make_server("127.0.0.1", 0, served, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=served)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _no_browser("playwright is not installed")
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageWatch:
    """What went wrong in the page while the test looked elsewhere: script errors and 5xx answers."""

    script_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)


def _watched_phone(browser, live_server) -> Iterator:
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = PageWatch()
    page.on("pageerror", lambda error: watch.script_errors.append(str(error)))
    page.on("response", lambda response: response.status >= 500 and watch.server_errors.append(
        f"{response.status} {response.request.method} {response.url}"))
    try:
        yield page
    finally:
        context.close()
    assert not watch.script_errors, watch.script_errors
    assert not watch.server_errors, watch.server_errors


@pytest.fixture
def phone(browser, live_server) -> Iterator:
    """A fresh phone-sized page (390×844, touch, en-US) whose relative URLs go to the live server.
    The test fails if any page threw a script error or any answer was a 5xx."""
    yield from _watched_phone(browser, live_server)


@pytest.fixture
def second_phone(browser, live_server) -> Iterator:
    """Another phone with its own cookies (a second member), watched like ``phone``."""
    yield from _watched_phone(browser, live_server)


@pytest.fixture
def screenshot(output_dir: Path):
    """``screenshot(page, "feed")`` saves the whole page as test-output/<test>/<nn>-feed.png."""
    taken: list[Path] = []

    def take(page, name: str) -> Path:
        path = output_dir / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take

