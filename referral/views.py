"""Pages for store credit and reviews (issue #6): a member's credit in a community, reviewing what they
received, and the shopkeeper's review queue and campaigns."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("referral", __name__)


@bp.get("/c/<slug>/credit")
def credit(slug: str):
    abort(404)


@bp.get("/c/<slug>/reviews/manage")
def review_queue(slug: str):
    abort(404)
