"""JSON: the earnings ledger. A shopkeeper reads what they earned in the communities they run; a supplier's
staff read what the supplier owes each community's shopkeeper (by community and by month). The same
queries as the pages; entries name communities, suppliers and products, never a member."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from core.auth import login_required
from core.extensions import ErrorOut
from orders import earnings
from supplier.access import managed_supplier

blp = Blueprint("earnings_api", __name__, url_prefix="/api/v1", description="Earnings (shopkeepers, suppliers)")


class EarningsQueryIn(Schema):
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=earnings.PAGE_MAX))
    per_page = fields.Int(load_default=earnings.PER_PAGE, validate=validate.Range(min=1, max=earnings.PER_PAGE_MAX))


class _Between(Schema):
    """Who owes whom: the supplier owes the community's shopkeeper."""

    community_id = fields.Int()
    community_name = fields.Str()
    supplier_id = fields.Int()
    supplier_name = fields.Str()
    currency = fields.Str()
    quantity = fields.Int(metadata={"description": "units delivered"})
    amount = fields.Int(metadata={"description": "minor units owed to the shopkeeper"})
    wholesale_amount = fields.Int(metadata={"description": "minor units: the units at wholesale"})


class EarningsEntryOut(_Between):
    id = fields.Int()
    created_at = fields.DateTime()
    kind = fields.Str(metadata={"description": '"margin": the margin on a fulfilled order line; "store_credit": '
                                               "store credit the shopkeeper granted paid for part of it (negative)"})
    product_name = fields.Str()
    variant_name = fields.Str()


class EarningsTotalOut(_Between):
    entries = fields.Int()


class EarningsMonthOut(EarningsTotalOut):
    month = fields.Str(metadata={"description": "YYYY-MM, in UTC"})


class EarningsOut(Schema):
    totals = fields.List(fields.Nested(EarningsTotalOut), metadata={"description": "per community, supplier, currency"})
    items = fields.List(fields.Nested(EarningsEntryOut), metadata={"description": "entries, newest first"})
    page = fields.Int()
    per_page = fields.Int()
    has_next = fields.Bool()


class SupplierEarningsOut(EarningsOut):
    months = fields.List(fields.Nested(EarningsMonthOut), metadata={"description": "per month, newest first"})


def _answer(query: dict, **scope) -> dict:
    page = earnings.entry_page(**scope, page=query["page"], per_page=query["per_page"])
    return {"totals": earnings.totals(**scope), "items": page.items, "page": page.page, "per_page": page.per_page,
            "has_next": page.has_next}


@blp.get("/earnings")
@login_required
@blp.arguments(EarningsQueryIn, location="query")
@blp.response(200, EarningsOut)
def my_earnings(query: dict):
    """What I earned in the communities I run (empty when I run none): totals per community, supplier and
    currency, and a page of entries."""
    return _answer(query, community_ids=earnings.shopkept_community_ids(current_user))


@blp.get("/suppliers/<int:supplier_id>/earnings")
@login_required
@blp.arguments(EarningsQueryIn, location="query")
@blp.response(200, SupplierEarningsOut)
@blp.alt_response(404, schema=ErrorOut, description="Not a supplier you staff.")
def supplier_earnings(query: dict, supplier_id: int):
    """What the supplier owes each community's shopkeeper (its staff): totals per community and per month,
    and a page of entries."""
    supplier = managed_supplier(current_user, supplier_id)
    return {**_answer(query, supplier_ids=[supplier.id]),
            "months": earnings.totals(supplier_ids=[supplier.id], by_month=True)}
