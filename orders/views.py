"""The supplier's purchase orders: what each successful offer asks of them, split by community and
pickup region. Never a member's name or contact: suppliers see communities and regions only."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.auth import login_required
from orders import services
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


@bp.get("/catalog/purchase-orders/<int:purchase_order_id>")
@login_required
def purchase_order(purchase_order_id: int):
    purchase_order, split = services.supplier_purchase_order(current_user, purchase_order_id)
    return render_template("orders/purchase_order.html", purchase_order=purchase_order, split=split,
                           labels=STATUS_LABELS)
