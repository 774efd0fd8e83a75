"""The supplier's subscription forecast page and its CSV (``?format=csv``): what open subscription plans
will order of the supplier's variants in their next cycles, by the date each item must leave the supplier.
Its own blueprint (``subscription_forecast``), beside the committed-demand dashboard, with the same
access: the supplier's staff (and operators); anyone else gets a 404."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.auth import login_required
from core.csv_export import csv_chunks
from subscriptions.supplier_forecast import CYCLES, ForecastRow, by_leave_by, supplier_forecast
from supplier import demand
from supplier.models import Supplier

bp = Blueprint("subscription_forecast", __name__)


def csv_rows(rows: list[ForecastRow]) -> list[list]:
    """The header, then one row per (leave-by date, variant, delivery date)."""
    table = [[_("Leave by"), _("SKU"), _("Product"), _("Variant"), _("Unit"), _("Quantity"), _("Delivery date"),
              _("Boxes"), _("Plans"), _("Communities")]]
    for row in rows:
        table.append([row.leave_by.isoformat(), row.sku, row.product, row.variant, row.unit, row.quantity,
                      row.delivery_date.isoformat(), row.boxes, "; ".join(row.plans), "; ".join(row.communities)])
    return table


def csv_response(supplier: Supplier, rows: list[ForecastRow]) -> Response:
    return Response(csv_chunks([csv_rows(rows)]), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{supplier.slug}-subscriptions.csv"',
                             "Cache-Control": "no-store"})


@bp.get("/catalog/subscription-forecast")
@login_required
def page():
    supplier = demand.chosen_supplier(current_user, request.args.get("supplier_id", type=int))
    rows = supplier_forecast(supplier.id, clock.now())
    if request.args.get("format") == "csv":
        return csv_response(supplier, rows)
    return render_template("subscriptions/supplier_forecast.html", supplier=supplier, days=by_leave_by(rows),
                           suppliers=demand.staffed_suppliers(current_user), cycles=CYCLES)
