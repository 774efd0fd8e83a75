"""JSON: the feed."""

from flask_smorest import Blueprint

blp = Blueprint("feed_api", __name__, url_prefix="/api/v1", description="Community feed")
