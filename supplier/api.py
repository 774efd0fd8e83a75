"""JSON: suppliers, products, variants and the tag taxonomy."""

from flask_smorest import Blueprint

blp = Blueprint("supplier_api", __name__, url_prefix="/api/v1", description="Suppliers and catalog")
