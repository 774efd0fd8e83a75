"""What every phone test checks and does: the page fits the screen, a person logs in through the form."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD


def assert_fits_phone(page: Page) -> None:
    """Nothing sticks out sideways: the page never scrolls horizontally on the phone."""
    scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{page.url} scrolls sideways: {scroll_width}px > {inner_width}px"


def log_in(page: Page, email: str, next_path: str = "/") -> None:
    """Log in through the real login page, then land on ``next_path``."""
    page.goto(f"/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))
