"""Pages: one-to-one messages between a community's shopkeeper and its members."""

from flask import Blueprint

bp = Blueprint("messages", __name__)


@bp.route("/messages")
def inbox():
    return ""
