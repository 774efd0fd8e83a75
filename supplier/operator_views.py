"""The operator's pages: platform overview, suppliers and their staff, shopkeepers, the taxonomy.
Routed on the ``supplier`` blueprint by ``register`` (endpoints ``supplier.operator_*``)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import found_or_404, roles_required
from core.errors import DomainError
from core.forms import form_error
from supplier import onboarding, queries, taxonomy
from supplier.access import get_or_none
from supplier.forms import EmailForm, SupplierForm, TagEditForm, TagForm, show_form
from supplier.models import Supplier, Tag


@roles_required("operator")
def home():
    return render_template("supplier/operator/home.html", counts=queries.platform_counts())


@roles_required("operator")
def suppliers():
    return render_template("supplier/operator/suppliers.html", suppliers=queries.all_suppliers())


@roles_required("operator")
def new_supplier():
    form = SupplierForm()
    if not form.validate_on_submit():
        return show_form(form, "supplier/operator/supplier_form.html", supplier=None)
    try:
        supplier = onboarding.create_supplier(current_user, name=form.name.data, slug=form.slug.data,
                                              description=form.description.data, currency=form.currency.data)
    except DomainError as error:
        return form_error(form, error, "supplier/operator/supplier_form.html", supplier=None)
    flash(_("%(name)s is on board. Now add its staff.", name=supplier.name), "success")
    return redirect(url_for("supplier.operator_staff", supplier_id=supplier.id))


@roles_required("operator")
def edit_supplier(supplier_id: int):
    supplier = found_or_404(get_or_none(Supplier, supplier_id))
    form = SupplierForm() if request.method == "POST" else SupplierForm(formdata=None, obj=supplier)
    if not form.validate_on_submit():
        return show_form(form, "supplier/operator/supplier_form.html", supplier=supplier)
    try:
        onboarding.update_supplier(current_user, supplier.id, name=form.name.data, slug=form.slug.data,
                                   description=form.description.data, currency=form.currency.data)
    except DomainError as error:
        return form_error(form, error, "supplier/operator/supplier_form.html", supplier=supplier)
    flash(_("The supplier is saved."), "success")
    return redirect(url_for("supplier.operator_suppliers"))


@roles_required("operator")
def staff(supplier_id: int):
    supplier = found_or_404(get_or_none(Supplier, supplier_id))
    form = EmailForm()
    if not form.validate_on_submit():
        return show_form(form, "supplier/operator/staff.html", supplier=supplier)
    try:
        user = onboarding.add_supplier_staff(current_user, supplier.id, form.email.data)
    except DomainError as error:
        return form_error(form, error, "supplier/operator/staff.html", supplier=supplier)
    flash(_("%(name)s now works for %(supplier)s.", name=user.display_name, supplier=supplier.name), "success")
    return redirect(url_for("supplier.operator_staff", supplier_id=supplier.id))


@roles_required("operator")
def remove_staff(supplier_id: int, user_id: int):
    user = onboarding.remove_supplier_staff(current_user, supplier_id, user_id)
    flash(_("%(name)s no longer works for this supplier.", name=user.display_name), "info")
    return redirect(url_for("supplier.operator_staff", supplier_id=supplier_id))


@roles_required("operator")
def shopkeepers():
    form = EmailForm()
    context = {"shopkeepers": queries.shopkeepers()}
    if not form.validate_on_submit():
        return show_form(form, "supplier/operator/shopkeepers.html", **context)
    try:
        user = onboarding.grant_shopkeeper(current_user, form.email.data)
    except DomainError as error:
        return form_error(form, error, "supplier/operator/shopkeepers.html", **context)
    flash(_("%(name)s can now run communities.", name=user.display_name), "success")
    return redirect(url_for("supplier.operator_shopkeepers"))


@roles_required("operator")
def revoke_shopkeeper(user_id: int):
    user = onboarding.revoke_shopkeeper(current_user, user_id)
    flash(_("%(name)s can no longer create communities.", name=user.display_name), "info")
    return redirect(url_for("supplier.operator_shopkeepers"))


@roles_required("operator")
def tags():
    form = TagForm()
    context = {"groups": taxonomy.tags_by_namespace(include_inactive=True)}
    if not form.validate_on_submit():
        return show_form(form, "supplier/operator/tags.html", **context)
    try:
        tag = taxonomy.create_tag(current_user, namespace=form.namespace.data, value=form.value.data,
                                  label_en=form.label_en.data, label_zh=form.label_zh.data)
    except DomainError as error:
        return form_error(form, error, "supplier/operator/tags.html", **context)
    flash(_("The tag %(code)s is created.", code=tag.code), "success")
    return redirect(url_for("supplier.operator_tags"))


@roles_required("operator")
def edit_tag(tag_id: int):
    tag = found_or_404(get_or_none(Tag, tag_id))
    form = TagEditForm() if request.method == "POST" else TagEditForm(formdata=None, obj=tag)
    if not form.validate_on_submit():
        return show_form(form, "supplier/operator/tag_form.html", tag=tag)
    try:
        taxonomy.update_tag(current_user, tag.id, namespace=form.namespace.data, value=form.value.data,
                            label_en=form.label_en.data, label_zh=form.label_zh.data, active=form.active.data)
    except DomainError as error:
        return form_error(form, error, "supplier/operator/tag_form.html", tag=tag)
    flash(_("The tag is saved."), "success")
    return redirect(url_for("supplier.operator_tags"))


@roles_required("operator")
def deactivate_tag(tag_id: int):
    tag = taxonomy.set_tag_active(current_user, tag_id, False)
    flash(_("The tag %(code)s is no longer offered.", code=tag.code), "info")
    return redirect(url_for("supplier.operator_tags"))


@roles_required("operator")
def activate_tag(tag_id: int):
    tag = taxonomy.set_tag_active(current_user, tag_id, True)
    flash(_("The tag %(code)s is offered again.", code=tag.code), "success")
    return redirect(url_for("supplier.operator_tags"))


def register(bp: Blueprint) -> None:
    """Route the operator's pages on the package's blueprint."""
    get_post = ["GET", "POST"]
    routes = [
        ("/operator", "operator_home", home, ["GET"]),
        ("/operator/suppliers", "operator_suppliers", suppliers, ["GET"]),
        ("/operator/suppliers/new", "operator_new_supplier", new_supplier, get_post),
        ("/operator/suppliers/<int:supplier_id>", "operator_edit_supplier", edit_supplier, get_post),
        ("/operator/suppliers/<int:supplier_id>/staff", "operator_staff", staff, get_post),
        ("/operator/suppliers/<int:supplier_id>/staff/<int:user_id>/remove", "operator_remove_staff",
         remove_staff, ["POST"]),
        ("/operator/shopkeepers", "operator_shopkeepers", shopkeepers, get_post),
        ("/operator/shopkeepers/<int:user_id>/revoke", "operator_revoke_shopkeeper", revoke_shopkeeper,
         ["POST"]),
        ("/operator/tags", "operator_tags", tags, get_post),
        ("/operator/tags/<int:tag_id>", "operator_edit_tag", edit_tag, get_post),
        ("/operator/tags/<int:tag_id>/deactivate", "operator_deactivate_tag", deactivate_tag, ["POST"]),
        ("/operator/tags/<int:tag_id>/activate", "operator_activate_tag", activate_tag, ["POST"]),
    ]
    for rule, endpoint, view, methods in routes:
        bp.add_url_rule(rule, endpoint, view, methods=methods)
