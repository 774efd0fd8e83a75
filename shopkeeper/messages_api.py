"""JSON: one-to-one messages."""

from flask_smorest import Blueprint

blp = Blueprint("messages_api", __name__, url_prefix="/api/v1", description="Messages")
