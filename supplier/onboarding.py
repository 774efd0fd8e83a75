"""The operator's use cases: onboarding suppliers (and their staff) and shopkeepers."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts import services as accounts
from accounts.models import Role, User
from core.auth import require
from core.errors import Conflict, DomainError, NotFound
from core.extensions import db
from core.money import SUPPORTED_CURRENCIES
from supplier.access import get_or_none
from supplier.models import Supplier, SupplierStaff, Variant
from supplier.validation import SLUG, check_pattern, clean_text, flush_or_conflict


def _require_operator(actor: User) -> None:
    require(actor.has_role(Role.OPERATOR))


def _slug_taken() -> Conflict:
    return Conflict("slug_taken", _l("Another supplier already uses this address."), field="slug")


def _clean_supplier_fields(name: str, slug: str, description: str, currency: str) -> dict:
    slug = check_pattern(clean_text(slug, field="slug", max_length=64).lower(), SLUG, field="slug",
                         message=_l("Use lowercase letters, digits and single hyphens, e.g. green-orchard."))
    if currency not in SUPPORTED_CURRENCIES:
        raise DomainError("bad_currency", _l("Choose a currency from the list."), field="currency", status=422)
    return {"name": clean_text(name, field="name", max_length=120), "slug": slug,
            "description": clean_text(description, field="description", max_length=10_000, required=False,
                                      multiline=True),
            "currency": currency}


def _get_supplier(supplier_id: int) -> Supplier:
    supplier = get_or_none(Supplier, supplier_id)
    if supplier is None:
        raise NotFound()
    return supplier


def create_supplier(actor: User, *, name: str, slug: str, description: str = "", currency: str = "CNY") -> Supplier:
    """A new supplier with no staff yet. Raises ``forbidden`` for non-operators, ``slug_taken`` (409),
    ``bad_currency`` and ``required`` / ``too_long`` / ``bad_format`` on a field."""
    _require_operator(actor)
    values = _clean_supplier_fields(name, slug, description, currency)
    if db.session.execute(sa.select(Supplier.id).where(Supplier.slug == values["slug"])).first():
        raise _slug_taken()
    supplier = Supplier(**values)
    db.session.add(supplier)
    flush_or_conflict(_slug_taken())
    return supplier


def update_supplier(actor: User, supplier_id: int, *, name: str, slug: str, description: str,
                    currency: str) -> Supplier:
    """Change a supplier's details. Its currency is fixed once it has variants, whose prices are in it
    (``currency_locked``, 409). Otherwise the same errors as ``create_supplier``, plus ``not_found``."""
    _require_operator(actor)
    supplier = _get_supplier(supplier_id)
    values = _clean_supplier_fields(name, slug, description, currency)
    if db.session.execute(sa.select(Supplier.id).where(Supplier.slug == values["slug"],
                                                       Supplier.id != supplier.id)).first():
        raise _slug_taken()
    if values["currency"] != supplier.currency and db.session.execute(
            sa.select(Variant.id).where(Variant.supplier_id == supplier.id).limit(1)).first():
        raise Conflict("currency_locked", _l("The currency cannot change: this supplier's prices are in %(c)s.",
                                             c=supplier.currency), field="currency")
    for field, value in values.items():
        setattr(supplier, field, value)
    flush_or_conflict(_slug_taken())
    return supplier


def _existing_user(email: str) -> User:
    user = accounts.get_user_by_email(clean_text(email, field="email", max_length=254))
    if user is None:
        raise DomainError("unknown_user", _l("No account uses this email. Ask them to register first."),
                          field="email", status=422)
    return user


def add_supplier_staff(actor: User, supplier_id: int, email: str) -> User:
    """Make the user with this email staff of the supplier, granting them the supplier role.
    Idempotent. Raises ``forbidden``, ``not_found``, ``unknown_user`` (422), or ``already_staff`` (409)
    when a concurrent request added them first."""
    _require_operator(actor)
    supplier = _get_supplier(supplier_id)
    user = _existing_user(email)
    if not any(link.user_id == user.id for link in supplier.staff):
        supplier.staff.append(SupplierStaff(user_id=user.id))
        flush_or_conflict(Conflict("already_staff", _l("This person was just added by someone else."),
                                   field="email"))
    accounts.grant_role(user, Role.SUPPLIER)
    return user


def remove_supplier_staff(actor: User, supplier_id: int, user_id: int) -> User:
    """The user no longer staffs the supplier; without any supplier left they lose the supplier role.
    Raises ``forbidden`` or ``not_found`` (also when they were not staff)."""
    _require_operator(actor)
    supplier = _get_supplier(supplier_id)
    link = next((link for link in supplier.staff if link.user_id == user_id), None)
    if link is None:
        raise NotFound()
    user = link.user
    supplier.staff.remove(link)
    db.session.flush()
    if not db.session.execute(sa.select(SupplierStaff.id).where(SupplierStaff.user_id == user.id)).first():
        accounts.revoke_role(user, Role.SUPPLIER)
    return user


def grant_shopkeeper(actor: User, email: str) -> User:
    """Onboard a shopkeeper: the user with this email may now create and run communities.
    Idempotent. Raises ``forbidden`` or ``unknown_user`` (422)."""
    _require_operator(actor)
    user = _existing_user(email)
    accounts.grant_role(user, Role.SHOPKEEPER)
    return user


def revoke_shopkeeper(actor: User, user_id: int) -> User:
    """The user may no longer create communities (those they run stay). Raises ``forbidden`` or
    ``not_found`` when the user is unknown or not a shopkeeper."""
    _require_operator(actor)
    user = get_or_none(User, user_id)
    if user is None or not user.has_role(Role.SHOPKEEPER):
        raise NotFound()
    accounts.revoke_role(user, Role.SHOPKEEPER)
    return user
