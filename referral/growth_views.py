"""Pages for lucky draws, invite rewards and the shopkeeper's growth insight (issue #6)."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("growth", __name__)


@bp.get("/c/<slug>/draws")
def draws(slug: str):
    abort(404)


@bp.get("/c/<slug>/invite")
def invite(slug: str):
    abort(404)


@bp.get("/c/<slug>/insight")
def insight(slug: str):
    abort(404)
