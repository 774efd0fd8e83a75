"""``/healthz`` is the hello-world of bench/drop.py: the baseline other paths are measured against, so it
answers from the app alone — no login, no database."""

from __future__ import annotations

from tests.social_factories import counting_queries


def test_the_health_check_answers_ok_without_a_login_or_a_query(app, client):
    with app.app_context(), counting_queries() as statements:
        answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}
    assert statements == []
