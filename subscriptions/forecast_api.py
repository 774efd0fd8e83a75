"""JSON: the supplier's subscription forecast, for planning systems (a personal API token as bearer) —
the same rows as the page and its CSV."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core import clock
from core.auth import login_required
from core.extensions import ErrorOut
from shopkeeper.schemas import Id
from subscriptions.supplier_forecast import CYCLES, supplier_forecast
from supplier import demand

blp = Blueprint("subscription_forecast_api", __name__, url_prefix="/api/v1",
                description="Subscription forecast for suppliers")


class ForecastQuery(Schema):
    supplier_id = Id(strict=False, load_default=None,
                     metadata={"description": "Whose forecast (default: the first supplier you work for)"})


class ForecastRowOut(Schema):
    leave_by = fields.Date(metadata={"description": "The local date the units must leave the supplier"})
    delivery_date = fields.Date(metadata={"description": "The local date the boxes are delivered"})
    variant_id = fields.Int()
    sku = fields.Str()
    product = fields.Str()
    variant = fields.Str()
    unit = fields.Str()
    quantity = fields.Int(metadata={"description": "Units, net of skips, pauses and swaps, within capacity"})
    boxes = fields.Int(metadata={"description": "Boxes of the cycles these units go into"})
    plans = fields.List(fields.Str(), metadata={"description": "Names of the plans they come from"})
    communities = fields.List(fields.Str(), metadata={"description": "Names of those plans' communities"})


class ForecastOut(Schema):
    supplier_id = fields.Int()
    cycles = fields.Int(metadata={"description": "Coming cycles counted per plan"})
    rows = fields.List(fields.Nested(ForecastRowOut), metadata={"description": "Earliest leave-by date first"})


@blp.get("/subscription-forecast")
@login_required
@blp.arguments(ForecastQuery, location="query")
@blp.response(200, ForecastOut)
@blp.alt_response(404, schema=ErrorOut, description="Not a supplier you work for.")
def get_forecast(query):
    """What open subscription plans will order of the supplier's variants in their next cycles, by the
    date each item must leave the supplier. No member data. Another supplier's id is a 404."""
    supplier = demand.chosen_supplier(current_user, query["supplier_id"])
    return {"supplier_id": supplier.id, "cycles": CYCLES, "rows": supplier_forecast(supplier.id, clock.now())}
