"""JSON for growth (issue #6) under /api/v1: a member's store credit and its use on orders, reviews and
lucky draws. The same services as the pages."""

from flask_smorest import Blueprint

blp = Blueprint("referral_api", __name__, url_prefix="/api/v1", description="Store credit, reviews and draws")
