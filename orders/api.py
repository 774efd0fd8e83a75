"""JSON: a supplier's purchase orders, for the supplier's own systems — read one, confirm it, ship it.
The same services as the pages; another supplier's purchase order is a 404."""

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required
from core.extensions import ErrorOut
from orders import fulfilment, services
from orders.schemas import PurchaseOrderOut, ShipIn

blp = Blueprint("orders_api", __name__, url_prefix="/api/v1", description="Purchase orders (suppliers)")


def _describe(purchase_order_id: int) -> dict:
    purchase_order, split = services.supplier_purchase_order(current_user, purchase_order_id)
    fields = ("id", "offer_id", "quantity", "cases", "unit_price", "currency", "total_amount", "confirmed_at",
              "shipped_at", "received_at")
    return {**{name: getattr(purchase_order, name) for name in fields}, "status": purchase_order.status.value,
            "amount_owed": fulfilment.amount_owed(purchase_order), "lines": split}


@blp.get("/purchase-orders/<int:purchase_order_id>")
@login_required
@blp.response(200, PurchaseOrderOut)
@blp.alt_response(404, schema=ErrorOut, description="Not a purchase order of a supplier you staff.")
def get_purchase_order(purchase_order_id: int):
    """A purchase order of a supplier you staff, split by community and region."""
    return _describe(purchase_order_id)


@blp.post("/purchase-orders/<int:purchase_order_id>/confirm")
@login_required
@blp.response(200, PurchaseOrderOut)
@blp.alt_response(404, schema=ErrorOut, description="Not a purchase order of a supplier you staff.")
def confirm_purchase_order(purchase_order_id: int):
    """Issued → confirmed. Confirming again (or after shipping) changes nothing."""
    fulfilment.confirm_purchase_order(current_user, purchase_order_id)
    return _describe(purchase_order_id)


@blp.post("/purchase-orders/<int:purchase_order_id>/ship")
@login_required
@blp.arguments(ShipIn)
@blp.response(200, PurchaseOrderOut)
@blp.alt_response(404, schema=ErrorOut, description="Not a purchase order of a supplier you staff.")
@blp.alt_response(409, schema=ErrorOut, description="``wrong_state``: not confirmed yet.")
def ship_purchase_order(data, purchase_order_id: int):
    """Confirmed → shipped, with the units shipped per line (default: in full). Shipping again changes
    nothing. 422 ``invalid_quantity`` / ``unknown_line`` for a quantity outside 0…ordered − dropped."""
    shipped = {line["line_id"]: line["shipped_quantity"] for line in data["lines"]}
    fulfilment.ship_purchase_order(current_user, purchase_order_id, shipped)
    return _describe(purchase_order_id)
