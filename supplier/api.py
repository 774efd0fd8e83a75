"""JSON: suppliers, products, variants and the tag taxonomy."""

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required, roles_required
from supplier import access, queries, services, taxonomy
from supplier.schemas import (
    ProductIn,
    ProductOut,
    ProductPatch,
    SupplierOut,
    TagIn,
    TagOut,
    TagPatch,
    TagQuery,
    VariantIn,
    VariantOut,
    VariantPatch,
)

blp = Blueprint("supplier_api", __name__, url_prefix="/api/v1", description="Suppliers and catalog")


@blp.get("/tags")
@login_required
@blp.arguments(TagQuery, location="query")
@blp.response(200, TagOut(many=True))
def list_tags(query):
    """The standard taxonomy, grouped by namespace (active tags; operators may ask for all)."""
    include_inactive = query["include_inactive"] and access.is_operator(current_user)
    return [tag for tags in taxonomy.tags_by_namespace(include_inactive).values() for tag in tags]


@blp.post("/tags")
@roles_required("operator")
@blp.arguments(TagIn)
@blp.response(201, TagOut)
def create_tag(data):
    """Add a tag (operators). 409 ``tag_taken`` when namespace:value exists."""
    return taxonomy.create_tag(current_user, **data)


@blp.patch("/tags/<int:tag_id>")
@roles_required("operator")
@blp.arguments(TagPatch)
@blp.response(200, TagOut)
def update_tag(changes, tag_id: int):
    """Edit or (de)activate a tag (operators)."""
    return taxonomy.update_tag(current_user, tag_id, **changes)


@blp.get("/suppliers")
@login_required
@blp.response(200, SupplierOut(many=True))
def list_suppliers():
    """Every supplier for operators; the ones you work for otherwise."""
    return queries.visible_suppliers(current_user)


@blp.get("/suppliers/<int:supplier_id>/products")
@login_required
@blp.response(200, ProductOut(many=True))
def list_products(supplier_id: int):
    """A supplier's whole catalog, archived products included (its staff and operators)."""
    return access.readable_supplier(current_user, supplier_id).products


@blp.post("/suppliers/<int:supplier_id>/products")
@login_required
@blp.arguments(ProductIn)
@blp.response(201, ProductOut)
def create_product(data, supplier_id: int):
    """Add a product (the supplier's staff)."""
    return services.create_product(current_user, supplier_id, **data)


@blp.get("/products/<int:product_id>")
@login_required
@blp.response(200, ProductOut)
def get_product(product_id: int):
    """An active product (or an archived one, for its staff and operators)."""
    return access.visible_product(current_user, product_id)


@blp.patch("/products/<int:product_id>")
@login_required
@blp.arguments(ProductPatch)
@blp.response(200, ProductOut)
def update_product(changes, product_id: int):
    """Edit, archive (``active: false``) or bring back a product (the supplier's staff)."""
    return services.update_product(current_user, product_id, **changes)


@blp.post("/products/<int:product_id>/variants")
@login_required
@blp.arguments(VariantIn)
@blp.response(201, VariantOut)
def add_variant(data, product_id: int):
    """Add a variant (the supplier's staff). 409 ``sku_taken`` when the SKU is used by the supplier."""
    return services.add_variant(current_user, product_id, **data)


@blp.patch("/variants/<int:variant_id>")
@login_required
@blp.arguments(VariantPatch)
@blp.response(200, VariantOut)
def update_variant(changes, variant_id: int):
    """Edit or (de)activate a variant (the supplier's staff)."""
    return services.update_variant(current_user, variant_id, **changes)


from supplier import offer_api  # noqa: E402, F401  (its routes are on this blueprint)
