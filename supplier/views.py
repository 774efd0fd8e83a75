"""Pages for supplier staff (the catalog they manage) and for browsing the catalog. The operator's
pages live in ``supplier.operator_views`` and the offers' in ``supplier.offer_views``; both are routed
here, on the same blueprint."""

from __future__ import annotations

import click
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from core.auth import login_required, roles_required
from core.db import commit
from core.errors import DomainError
from core.forms import form_error
from supplier import access, demand_views, offer_views, operator_views, queries, services
from supplier.forms import ImagesForm, ProductForm, VariantForm, show_form
from supplier.taxonomy import ensure_standard_taxonomy, namespace_label, tags_by_namespace
from supplier.validation import MAX_ID, search_text

bp = Blueprint("supplier", __name__)
operator_views.register(bp)
offer_views.register(bp)
demand_views.register(bp)
bp.add_app_template_global(namespace_label, "tag_namespace_label")



@bp.route("/catalog")
@roles_required("supplier")
def catalog():
    return render_template("supplier/catalog.html", suppliers=queries.staff_suppliers(current_user))


@bp.route("/catalog/suppliers/<int:supplier_id>/products/new", methods=["GET", "POST"])
@roles_required("supplier")
def new_product(supplier_id: int):
    supplier = access.managed_supplier(current_user, supplier_id)
    form = ProductForm()
    form.offer_tags(tags_by_namespace())
    if not form.validate_on_submit():
        return show_form(form, "supplier/product_form.html", supplier=supplier, product=None)
    try:
        product = services.create_product(current_user, supplier.id, name=form.name.data,
                                          description=form.description.data, tag_ids=form.tag_ids.data)
    except DomainError as error:
        return form_error(form, error, "supplier/product_form.html", supplier=supplier, product=None)
    flash(_("The product is created. Now add its variants and prices."), "success")
    return redirect(url_for("supplier.manage_product", product_id=product.id))


@bp.route("/catalog/products/<int:product_id>", methods=["GET", "POST"])
@roles_required("supplier")
def manage_product(product_id: int):
    product = access.managed_product(current_user, product_id)
    form = ProductForm() if request.method == "POST" else ProductForm(formdata=None, obj=product)
    form.offer_tags(tags_by_namespace(), carried=product.tags)
    if request.method == "GET":
        form.tag_ids.data = [tag.id for tag in product.tags]
    context = {"supplier": product.supplier, "product": product}
    if not form.validate_on_submit():
        return show_form(form, "supplier/product_manage.html", **context)
    try:
        services.update_product(current_user, product.id, name=form.name.data, description=form.description.data,
                                tag_ids=form.tag_ids.data)
    except DomainError as error:
        return form_error(form, error, "supplier/product_manage.html", **context)
    flash(_("The product is saved."), "success")
    return redirect(url_for("supplier.manage_product", product_id=product.id))


@bp.post("/catalog/products/<int:product_id>/archive")
@roles_required("supplier")
def archive_product(product_id: int):
    services.set_product_active(current_user, product_id, False)
    flash(_("The product is archived: it is no longer offered."), "info")
    return redirect(url_for("supplier.manage_product", product_id=product_id))


@bp.post("/catalog/products/<int:product_id>/unarchive")
@roles_required("supplier")
def unarchive_product(product_id: int):
    services.set_product_active(current_user, product_id, True)
    flash(_("The product is offered again."), "success")
    return redirect(url_for("supplier.manage_product", product_id=product_id))


@bp.route("/catalog/products/<int:product_id>/variants/new", methods=["GET", "POST"])
@roles_required("supplier")
def new_variant(product_id: int):
    product = access.managed_product(current_user, product_id)
    form = VariantForm(currency=product.supplier.currency)
    context = {"product": product, "variant": None}
    if not form.validate_on_submit():
        return show_form(form, "supplier/variant_form.html", **context)
    try:
        services.add_variant(current_user, product.id, **form.values())
    except DomainError as error:
        return form_error(form, error, "supplier/variant_form.html", **context)
    flash(_("The variant is added."), "success")
    return redirect(url_for("supplier.manage_product", product_id=product.id))


@bp.route("/catalog/variants/<int:variant_id>", methods=["GET", "POST"])
@roles_required("supplier")
def edit_variant(variant_id: int):
    variant = access.managed_variant(current_user, variant_id)
    if request.method == "POST":
        form = VariantForm(currency=variant.currency)
    else:
        form = VariantForm(formdata=None, obj=variant, currency=variant.currency)
        form.wholesale_price.set_minor_units(variant.wholesale_price, variant.currency)
        form.retail_price.set_minor_units(variant.retail_price, variant.currency)
    context = {"product": variant.product, "variant": variant}
    if not form.validate_on_submit():
        return show_form(form, "supplier/variant_form.html", **context)
    try:
        services.update_variant(current_user, variant.id, **form.values())
    except DomainError as error:
        return form_error(form, error, "supplier/variant_form.html", **context)
    flash(_("The variant is saved."), "success")
    return redirect(url_for("supplier.manage_product", product_id=variant.product_id))


@bp.post("/catalog/variants/<int:variant_id>/deactivate")
@roles_required("supplier")
def deactivate_variant(variant_id: int):
    variant = services.set_variant_active(current_user, variant_id, False)
    flash(_("The variant is no longer offered."), "info")
    return redirect(url_for("supplier.manage_product", product_id=variant.product_id))


@bp.post("/catalog/variants/<int:variant_id>/activate")
@roles_required("supplier")
def activate_variant(variant_id: int):
    variant = services.set_variant_active(current_user, variant_id, True)
    flash(_("The variant is offered again."), "success")
    return redirect(url_for("supplier.manage_product", product_id=variant.product_id))


@bp.route("/catalog/products/<int:product_id>/images", methods=["GET", "POST"])
@roles_required("supplier")
def product_images(product_id: int):
    product = access.managed_product(current_user, product_id)
    form = ImagesForm()
    if not form.validate_on_submit():
        return show_form(form, "supplier/product_images.html", product=product)
    try:
        added = services.add_product_images(current_user, product.id, request.files.getlist(form.images.name))
    except DomainError as error:
        return form_error(form, error, "supplier/product_images.html", product=product)
    flash(ngettext("%(num)s image added.", "%(num)s images added.", len(added)), "success")
    return redirect(url_for("supplier.product_images", product_id=product.id))


@bp.post("/catalog/images/<int:image_id>/delete")
@roles_required("supplier")
def delete_image(image_id: int):
    product = services.delete_product_image(current_user, image_id)
    flash(_("The image is removed."), "info")
    return redirect(url_for("supplier.product_images", product_id=product.id))


@bp.post("/catalog/images/<int:image_id>/first")
@roles_required("supplier")
def make_image_first(image_id: int):
    product = services.move_product_image_first(current_user, image_id)
    return redirect(url_for("supplier.product_images", product_id=product.id))


@bp.route("/products")
@roles_required("shopkeeper", "supplier", "operator")
def browse():
    q = search_text(request.args.get("q"))
    tag_ids = [tag_id for tag_id in request.args.getlist("tag", type=int) if 1 <= tag_id <= MAX_ID]
    page = queries.browse_products(q=q, tag_ids=tag_ids, page=request.args.get("page", 1, type=int))
    return render_template("supplier/browse.html", page=page, q=q, tag_ids=tag_ids,
                           groups=tags_by_namespace())


@bp.route("/products/<int:product_id>", endpoint="product")
@login_required
def product_page(product_id: int):
    product = access.visible_product(current_user, product_id)
    staff = access.is_staff(current_user, product.supplier_id)
    wholesale = staff or access.is_operator(current_user)
    variants = [v for v in product.variants if v.active or wholesale]
    return render_template("supplier/product.html", product=product, variants=variants, staff=staff,
                           show_wholesale=wholesale)


@bp.cli.command("ensure-taxonomy")
def ensure_taxonomy_command() -> None:
    """Create the standard tags that are missing (safe to run on every deploy)."""
    created = ensure_standard_taxonomy()
    commit()
    click.echo(f"{len(created)} standard tag(s) created")
