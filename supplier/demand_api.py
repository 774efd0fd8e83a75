"""JSON: the supplier's committed demand, for planning systems (a personal API token as bearer)."""

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required
from supplier import demand
from supplier.demand_schemas import DemandOut, DemandQuery

blp = Blueprint("demand_api", __name__, url_prefix="/api/v1", description="Committed demand for suppliers")


@blp.get("/demand")
@login_required
@blp.arguments(DemandQuery, location="query")
@blp.response(200, DemandOut)
def get_demand(query):
    """Pending and committed demand by product, variant, week of close, community and pickup region, and
    each open offer's distance to its next tier and MOQ — the dashboard page's answer. No member data.
    Another supplier's id is a 404."""
    supplier = demand.chosen_supplier(current_user, query.pop("supplier_id"))
    return demand.dashboard(demand.Filters(supplier_id=supplier.id, **query))
