"""Pages for suppliers (catalog) and the operator (suppliers, taxonomy)."""

from flask import Blueprint

bp = Blueprint("supplier", __name__)


@bp.route("/catalog")
def catalog():
    return ""


@bp.route("/operator")
def operator_home():
    return ""
