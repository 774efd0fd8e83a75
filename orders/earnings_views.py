"""Pages and CSV exports of the earnings ledger: the shopkeeper's earnings in one community
(``/c/<slug>/earnings``: that community's shopkeepers only, a 404 for anyone else) and what a supplier owes
shopkeepers (``/catalog/earnings``: its staff only). The supplier's side names communities, never members."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import login_required
from core.csv_export import csv_chunks
from core.errors import NotFound
from core.money import Money
from orders import earnings
from shopkeeper.access import get_community, is_shopkeeper
from shopkeeper.links import community_home_url
from supplier.access import staffed_supplier_ids

bp = Blueprint("earnings", __name__)


@bp.context_processor
def _links():
    return {"community_home_url": community_home_url}


def _page_arg() -> int:
    page = request.args.get("page", 1, type=int)
    return page if 1 <= page <= earnings.PAGE_MAX else 1


def _run_community(slug: str):
    """The community, when the caller is one of its shopkeepers; a 404 for members and outsiders alike."""
    community = get_community(slug)
    if not is_shopkeeper(current_user, community):
        raise NotFound()
    return community


def _supplier_ids() -> list[int]:
    supplier_ids = sorted(staffed_supplier_ids(current_user))
    if not supplier_ids:
        raise NotFound()
    return supplier_ids


def _csv(batches, filename: str) -> Response:
    return Response(stream_with_context(csv_chunks(batches)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _kind(kind: str) -> str:
    return _("Paid with store credit") if kind == earnings.STORE_CREDIT else _("Margin")


def _major(amount: int, currency: str) -> str:
    return str(Money(amount, currency).major())


@bp.get("/c/<slug>/earnings")
@login_required
def community_earnings(slug: str):
    community = _run_community(slug)
    totals = earnings.totals(community_ids=[community.id])
    return render_template("orders/earnings_community.html", community=community, totals=totals,
                           grand=earnings.grand_totals(totals),
                           page=earnings.entry_page(community_ids=[community.id], page=_page_arg()))


@bp.get("/c/<slug>/earnings.csv")
@login_required
def community_earnings_csv(slug: str):
    community = _run_community(slug)
    header = [_("Date (UTC)"), _("Supplier"), _("Product"), _("Variant"), _("Units"), _("Wholesale"),
              _("Your margin"), _("Currency"), _("Entry kind")]

    def cells(row: earnings.EntryRow) -> list:
        return [row.created_at.strftime("%Y-%m-%d %H:%M"), row.supplier_name, row.product_name, row.variant_name,
                row.quantity, _major(row.wholesale_amount, row.currency), _major(row.amount, row.currency),
                row.currency, _kind(row.kind)]

    return _csv(earnings.export_rows(header, cells, community_ids=[community.id]), f"{community.slug}-earnings.csv")


@bp.get("/catalog/earnings")
@login_required
def supplier_earnings():
    supplier_ids = _supplier_ids()
    totals = earnings.totals(supplier_ids=supplier_ids)
    return render_template("orders/earnings_supplier.html", totals=totals, grand=earnings.grand_totals(totals),
                           several=len(supplier_ids) > 1,
                           months=earnings.totals(supplier_ids=supplier_ids, by_month=True),
                           page=earnings.entry_page(supplier_ids=supplier_ids, page=_page_arg()))


@bp.get("/catalog/earnings.csv")
@login_required
def supplier_earnings_csv():
    supplier_ids = _supplier_ids()
    header = [_("Date (UTC)"), _("Supplier"), _("Community"), _("Product"), _("Variant"), _("Units"),
              _("Owed to the shopkeeper"), _("Currency"), _("Entry kind")]

    def cells(row: earnings.EntryRow) -> list:
        return [row.created_at.strftime("%Y-%m-%d %H:%M"), row.supplier_name, row.community_name, row.product_name,
                row.variant_name, row.quantity, _major(row.amount, row.currency), row.currency, _kind(row.kind)]

    return _csv(earnings.export_rows(header, cells, supplier_ids=supplier_ids), "owed-to-shopkeepers.csv")
