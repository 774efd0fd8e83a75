"""The committed-demand dashboard page for supplier staff, and its CSV (``?format=csv``). Routed on the
``supplier`` blueprint by ``register`` (endpoint ``supplier.demand``). Anyone who staffs no supplier —
shopkeepers, members, another supplier's staff asking for this one — gets a 404."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError

from core.auth import login_required
from core.csv_export import csv_chunks
from core.money import minor_digits
from supplier import demand
from supplier.models import Supplier

TEMPLATE = "supplier/demand.html"
PAGE_ROWS = 50  #: rows per table on the page (biggest first; weeks in order); the CSV and the API have all
DIMENSION_LABELS = {"product": _l("Product"), "variant": _l("Variant"), "week": _l("Week of close"),
                    "community": _l("Community"), "region": _l("Pickup region")}
DIMENSION_HEADINGS = {"product": _l("By product"), "variant": _l("By variant"), "week": _l("By week of close"),
                      "community": _l("By community"), "region": _l("By pickup region")}


def _iso_week(form, field) -> None:
    if field.data and demand.week_start(field.data) is None:
        raise ValidationError(_("A week like 2026-W47."))


_WEEK = [Optional(), _iso_week]


class DemandFilterForm(FlaskForm):
    """The dashboard's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    supplier_id = SelectField(_l("Supplier"), coerce=int, validate_choice=False)
    product_id = SelectField(_l("Product"), default="")
    variant_id = SelectField(_l("Variant"), default="")
    community_id = SelectField(_l("Community"), default="")
    region = SelectField(_l("Pickup region"), default="")
    week_from = StringField(_l("From week"), validators=_WEEK, render_kw={"placeholder": "2026-W01"})
    week_to = StringField(_l("To week"), validators=_WEEK, render_kw={"placeholder": "2026-W52"})
    currency = SelectField(_l("Currency"), default="")

    def offer(self, suppliers: list[Supplier], options: dict[str, list[tuple[str, str]]]) -> None:
        self.supplier_id.choices = [(supplier.id, supplier.name) for supplier in suppliers]
        every = [("", _("All"))]
        self.product_id.choices = every + options["product"]
        self.variant_id.choices = every + options["variant"]
        self.community_id.choices = every + options["community"]
        self.region.choices = every + [(value, label or _("No region")) for value, label in options["region"]]
        self.currency.choices = every + options["currency"]

    def filters(self, supplier_id: int) -> demand.Filters:
        def number(value) -> int | None:
            return int(value) if value else None
        return demand.Filters(supplier_id=supplier_id, product_id=number(self.product_id.data),
                              variant_id=number(self.variant_id.data),
                              community_id=number(self.community_id.data), region=self.region.data or None,
                              week_from=self.week_from.data or None, week_to=self.week_to.data or None,
                              currency=self.currency.data or None)


def major(amount: int, currency: str) -> str:
    """Minor units as a plain decimal in major units ("1234.50"), for spreadsheets."""
    digits = minor_digits(currency)
    return f"{Decimal(amount).scaleb(-digits):.{digits}f}"


def csv_rows(answer: demand.Dashboard) -> list[list[str]]:
    """One row per (dimension, key, currency), the header first."""
    rows = [[_("Dimension"), _("Key"), _("Name"), _("Currency"), _("Pending units"), _("Pending pledges"),
             _("Pending value"), _("Committed units"), _("Committed value")]]
    for dimension, totals in answer.totals.items():
        for total in totals:
            label = total.label or (_("No region") if dimension == "region" else "")
            rows.append([str(DIMENSION_LABELS[dimension]), total.key, label, total.currency,
                         total.pending_quantity, total.pending_pledges, major(total.pending_value, total.currency),
                         total.committed_quantity, major(total.committed_value, total.currency)])
    return rows


def csv_response(supplier: Supplier, answer: demand.Dashboard) -> Response:
    return Response(csv_chunks([csv_rows(answer)]), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{supplier.slug}-demand.csv"',
                             "Cache-Control": "no-store"})


@login_required
def demand_page():
    supplier = demand.chosen_supplier(current_user, request.args.get("supplier_id", type=int))
    form = DemandFilterForm(request.args)
    form.offer(demand.staffed_suppliers(current_user), demand.options(supplier.id))
    form.supplier_id.data = supplier.id
    context = {"supplier": supplier, "labels": DIMENSION_LABELS, "headings": DIMENSION_HEADINGS,
               "page_rows": PAGE_ROWS}
    context["filtered"] = any(value for key, value in request.args.items() if key not in ("supplier_id", "lang"))
    if not form.validate():
        return render_template(TEMPLATE, form=form, answer=None, **context), 422
    answer = demand.dashboard(form.filters(supplier.id))
    if request.args.get("format") == "csv":
        return csv_response(supplier, answer)
    csv_args = {**request.args.to_dict(), "format": "csv", "supplier_id": supplier.id}
    return render_template(TEMPLATE, form=form, answer=answer, csv_args=csv_args, **context)


def register(bp: Blueprint) -> None:
    """Route the dashboard on the package's blueprint."""
    bp.add_url_rule("/catalog/demand", "demand", demand_page, methods=["GET"])
