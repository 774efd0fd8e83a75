"""The supplier's purchase orders: what each successful offer asks of them, split by community and
pickup region, and the steps they take on one — confirm, ship. Never a member's name or contact:
suppliers see communities and regions only."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.auth import login_required
from core.errors import DomainError
from orders import fulfilment, services
from orders.models import PurchaseOrderStatus

bp = Blueprint("orders", __name__)

STATUS_LABELS = {
    PurchaseOrderStatus.ISSUED: _l("Issued"),
    PurchaseOrderStatus.CONFIRMED: _l("Confirmed"),
    PurchaseOrderStatus.SHIPPED: _l("Shipped"),
    PurchaseOrderStatus.RECEIVED: _l("Received"),
}


@bp.get("/catalog/purchase-orders")
@login_required
def purchase_orders():
    return render_template("orders/purchase_orders.html",
                           purchase_orders=services.supplier_purchase_orders(current_user), labels=STATUS_LABELS)


def _page(purchase_order_id: int, errors=(), status: int = 200):
    purchase_order, split = services.supplier_purchase_order(current_user, purchase_order_id)
    return render_template("orders/purchase_order.html", purchase_order=purchase_order, split=split,
                           labels=STATUS_LABELS, owed=fulfilment.amount_owed(purchase_order),
                           errors=[str(error) for error in errors]), status


@bp.get("/catalog/purchase-orders/<int:purchase_order_id>")
@login_required
def purchase_order(purchase_order_id: int):
    return _page(purchase_order_id)


def _step(purchase_order_id: int, action, done: str):
    """Take one step on the purchase order; a refusal shows the page again with the reason (nothing saved)."""
    try:
        action()
    except DomainError as error:
        if error.status == 404:
            raise
        return _page(purchase_order_id, [error.message], error.status)
    flash(done, "success")
    return redirect(url_for("orders.purchase_order", purchase_order_id=purchase_order_id))


@bp.post("/catalog/purchase-orders/<int:purchase_order_id>/confirm")
@login_required
def confirm(purchase_order_id: int):
    return _step(purchase_order_id, lambda: fulfilment.confirm_purchase_order(current_user, purchase_order_id),
                 _("Purchase order confirmed. The shopkeepers have been told."))


def quantities_from_form(prefix: str) -> dict[int, int]:
    """``<prefix>-<line id>`` fields → {line id: quantity}; blanks keep the default. Raises
    ``invalid_quantity`` for anything that is not a whole number."""
    quantities = {}
    for name, value in request.form.items():
        if not name.startswith(f"{prefix}-") or not value.strip():
            continue
        line_id, value = name.removeprefix(f"{prefix}-"), value.strip()
        if not (f"{line_id}{value}".isascii() and line_id.isdigit() and value.isdigit()
                and len(line_id) < 10 and len(value) < 10):
            raise DomainError("invalid_quantity", _l("Enter whole numbers of units."), status=422)
        quantities[int(line_id)] = int(value)
    return quantities


@bp.post("/catalog/purchase-orders/<int:purchase_order_id>/ship")
@login_required
def ship(purchase_order_id: int):
    return _step(purchase_order_id, lambda: fulfilment.ship_purchase_order(
        current_user, purchase_order_id, quantities_from_form("shipped")),
        _("Marked as shipped. The shopkeepers and their members have been told."))
