"""JSON: communities, invites, members, feed and messages."""

from flask_smorest import Blueprint

blp = Blueprint("shopkeeper_api", __name__, url_prefix="/api/v1", description="Communities")
