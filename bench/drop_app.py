"""The WSGI app bench/drop.py serves under gunicorn: Tuan's own app (``app.create_app()``), as configured
from the environment. Only while the launches' reserve endpoint has not landed yet does it add a stand-in
for ``POST /api/v1/launches/<id>/holds`` — the same contract (201, 409 ``sold_out`` / ``limit_reached``)
done the way launches/models.py describes (conditional UPDATEs on the allowance and the launch row) — so
that the harness can be exercised; bench/drop.py prints which one it measured."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, jsonify
from flask_login import current_user

HOLDS_RULE = "/api/v1/launches/<int:launch_id>/holds"


def has_reserve_endpoint(app: Flask) -> bool:
    return any(rule.rule == HOLDS_RULE and "POST" in (rule.methods or ()) for rule in app.url_map.iter_rules())


def create() -> Flask:
    from app import create_app

    app = create_app()
    if not has_reserve_endpoint(app):
        app.add_url_rule(HOLDS_RULE, endpoint="bench_stand_in_hold", view_func=_stand_in_hold, methods=["POST"])
        app.config["BENCH_STAND_IN"] = True
    return app


def _refuse(code: str):
    return jsonify({"error": {"code": code, "message": code, "fields": {}}}), 409


def _stand_in_hold(launch_id: int):
    from core import clock
    from core.extensions import db

    if not current_user.is_authenticated:
        return jsonify({"error": {"code": "unauthorized", "message": "", "fields": {}}}), 401
    session = db.session
    launch = session.execute(sa.text(
        "SELECT stock - sold - held AS available, per_member_limit, checkout_minutes FROM launches "
        "WHERE id = :id AND status = 'published'"), {"id": launch_id}).one_or_none()
    if launch is None:
        return jsonify({"error": {"code": "not_found", "message": "", "fields": {}}}), 404
    if launch.available < 1:
        return _refuse("sold_out")
    mine = {"launch": launch_id, "user": current_user.id, "limit": launch.per_member_limit}
    if session.execute(sa.text(
            "INSERT INTO launch_allowances (launch_id, user_id, units) VALUES (:launch, :user, 1) "
            "ON CONFLICT (launch_id, user_id) DO UPDATE SET units = launch_allowances.units + 1 "
            "WHERE launch_allowances.units + 1 <= :limit RETURNING units"), mine).first() is None:
        return _refuse("limit_reached")
    if session.execute(sa.text(
            "UPDATE launches SET held = held + 1 WHERE id = :id AND sold + held + 1 <= stock RETURNING id"),
            {"id": launch_id}).first() is None:
        return _refuse("sold_out")  # the 409 rolls the allowance back
    community = session.execute(sa.text(
        "SELECT community_id FROM launch_communities WHERE launch_id = :id LIMIT 1"), {"id": launch_id}).scalar()
    now = clock.now()
    hold_id = session.execute(sa.text(
        "INSERT INTO launch_holds (launch_id, user_id, community_id, quantity, source, status, expires_at, "
        "created_at, updated_at) VALUES (:launch, :user, :community, 1, 'first_come', 'held', :expires, :now, :now) "
        "RETURNING id"), {**mine, "community": community, "expires": now + timedelta(minutes=launch.checkout_minutes),
                          "now": now}).scalar()
    return jsonify({"id": hold_id, "quantity": 1}), 201
