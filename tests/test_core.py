"""The ground floor: money, the clock, errors, the commit-once boundary, security headers of forms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Blueprint
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from core import clock
from core.errors import DomainError
from core.extensions import db
from core.money import Money
from tests.factories import PASSWORD, make_user


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_money_survives_a_round_trip_through_its_decimal_text(amount):
    money = Money(amount, "CNY")
    assert Money.parse(str(money.major()), "CNY") == money


def test_money_refuses_floats_and_excess_precision():
    with pytest.raises(TypeError):
        Money(12.5, "CNY")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money.parse("12.345", "CNY")
    assert Money.parse("1200", "JPY") == Money(1200, "JPY")
    with pytest.raises(ValueError):
        Money.parse("12.5", "JPY")


def test_money_never_mixes_currencies():
    with pytest.raises(ValueError):
        Money(100, "CNY") + Money(100, "USD")
    assert Money(150, "CNY") * 3 == Money(450, "CNY")


def test_money_formats_per_locale():
    assert Money(123456, "CNY").format("zh_Hans_CN") == "¥1,234.56"
    assert Money(123456, "USD").format("en") == "$1,234.56"


def test_the_clock_can_be_frozen_and_moved():
    moment = clock.freeze(datetime(2026, 5, 1, 12, tzinfo=UTC))
    assert clock.now() == moment
    clock.advance(timedelta(days=2))
    assert clock.now() == moment + timedelta(days=2)
    with pytest.raises(ValueError):
        clock.freeze(datetime(2026, 5, 1, 12))


def test_times_come_back_from_the_database_in_utc():
    clock.freeze(datetime(2026, 5, 1, 12, 30, tzinfo=UTC))
    user = make_user()
    db.session.expire_all()
    stored = db.session.get(User, user.id).created_at
    assert stored == datetime(2026, 5, 1, 12, 30, tzinfo=UTC) and stored.utcoffset() == timedelta(0)


@pytest.fixture
def probe_app(app):
    """A second app on the same database with routes that fail half-way through a unit of work."""
    from app import create_app

    other = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY",
                                                       "PASSWORD_TIME_COST", "PASSWORD_MEMORY_COST")},
                        "TESTING": True, "WTF_CSRF_ENABLED": False, "JOBS_BACKEND": "inprocess"})
    probe = Blueprint("probe", __name__)

    @probe.post("/probe/domain-error")
    def domain_error():
        db.session.add(User(email="half@example.com", display_name="Half", password_hash="x"))
        db.session.flush()
        raise DomainError("nope", "Refused after a write.")

    @probe.post("/probe/crash")
    def crash():
        db.session.add(User(email="crash@example.com", display_name="Crash", password_hash="x"))
        db.session.flush()
        raise RuntimeError("boom")

    @probe.post("/probe/failed-flush")
    def failed_flush():
        for _ in range(2):
            db.session.add(User(email="twin@example.com", display_name="Twin", password_hash="x"))
        db.session.flush()  # the unique key refuses the twin: the session is now in a failed state

    other.register_blueprint(probe)
    yield other
    with other.app_context():
        db.engine.dispose()


def _emails() -> set[str]:
    db.session.expire_all()
    return set(db.session.execute(db.select(User.email)).scalars())


def test_a_refused_request_leaves_no_half_written_record(probe_app):
    client = probe_app.test_client()
    response = client.post("/probe/domain-error", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json == {"error": {"code": "nope", "message": "Refused after a write.", "fields": {}}}
    assert "half@example.com" not in _emails()


def test_an_unexpected_error_is_a_clean_500_page_and_nothing_is_saved(probe_app):
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = probe_app.test_client().post("/probe/crash")
    assert response.status_code == 500
    assert "Nothing was saved" in response.get_data(as_text=True)
    assert "crash@example.com" not in _emails()


def test_a_failed_flush_still_gets_a_clean_error_answer(probe_app):
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = probe_app.test_client().post("/probe/failed-flush", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal"
    assert "twin@example.com" not in _emails()


def test_unknown_pages_are_404_in_html_and_json(client):
    assert client.get("/no/such/page").status_code == 404
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


@pytest.fixture
def csrf_client(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False


def test_forms_without_the_csrf_token_are_refused(csrf_client):
    user = make_user()
    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    page = csrf_client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    ok = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302


def test_api_calls_with_a_token_need_no_csrf_token(csrf_client):
    from tests.factories import token_headers

    headers = token_headers(make_user())
    assert csrf_client.patch("/api/v1/me", json={"display_name": "Mei"}, headers=headers).status_code == 200
    # …but a browser session calling the API must send the token (X-CSRFToken) like a form would.
    assert csrf_client.patch("/api/v1/me", json={"display_name": "Mei"}).status_code in (400, 401)


def test_session_cookie_is_http_only_and_same_site(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} == {"session", "remember_token"}
    assert all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)


@pytest.mark.parametrize("bad", ["a\x00b", "\ud800"])
def test_text_no_database_can_store_is_refused_at_the_door(client, bad):
    from tests.factories import token_headers

    headers = token_headers(make_user())
    response = client.post("/api/v1/me/tokens", json={"name": bad}, headers=headers)
    assert response.status_code == 422
    assert response.json["error"] == {"code": "bad_text", "fields": {"name": [
        "This text contains characters we cannot store."]},
        "message": "This text contains characters we cannot store."}
    if bad == "a\x00b":  # a lone surrogate cannot even be encoded into a query string or form
        assert client.get("/login", query_string={"next": bad}).status_code == 422
        assert client.post("/register", data={"display_name": bad, "email": "x@example.com",
                                              "password": "long enough"}).status_code == 422


def test_an_id_no_row_can_have_is_a_plain_404(client):
    from tests.factories import token_headers

    headers = token_headers(make_user())
    assert client.delete("/api/v1/me/tokens/2147483648", headers=headers).status_code == 404
    assert client.delete("/api/v1/me/tokens/2147483647", headers=headers).status_code == 404


def test_translated_errors_work_outside_a_request(app):
    from core.errors import NotFound

    assert str(NotFound().message) == "Not found."


def test_work_after_commit_waits_for_the_unit_of_work_not_a_savepoint(app):
    """A savepoint released (or rolled back) inside a unit of work is not its commit: after-commit work
    (jobs, mail, the drop's gate) runs once, when the outermost transaction commits — never before the
    data it needs is visible to others."""
    from core.db import after_commit, commit

    ran: list[str] = []
    after_commit(lambda: ran.append("first"))
    with db.session.begin_nested():
        after_commit(lambda: ran.append("inside"))
    assert ran == []
    try:
        with db.session.begin_nested():
            raise ValueError("the savepoint rolls back")
    except ValueError:
        pass
    assert ran == []
    commit()
    assert ran == ["first", "inside"]
    db.session.execute(sa.text("SELECT 1"))
    after_commit(lambda: ran.append("rolled back"))
    db.session.rollback()
    commit()
    assert ran == ["first", "inside"]


def test_a_csv_cell_that_a_spreadsheet_would_run_is_quoted_but_a_negative_amount_stays_a_number():
    from core.csv_export import safe_cell

    assert [safe_cell(v) for v in ("-40.00", "-7", -12, "-1+1", "-A1", "=SUM(A1)", "@cmd", "+1", "Mei")] == [
        "-40.00", "-7", "-12", "'-1+1", "'-A1", "'=SUM(A1)", "'@cmd", "'+1", "Mei"]
