"""Plain factory functions with keyword overrides. Each commits, as a real request would."""

from __future__ import annotations

import itertools
from datetime import datetime

from flask.testing import FlaskClient

from accounts import services as accounts
from accounts.models import Role, User
from core import clock
from core.extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def make_user(*, email: str | None = None, display_name: str | None = None, password: str = PASSWORD,
              roles: tuple[Role, ...] = (), locale: str | None = None) -> User:
    name = display_name or unique("Person ")
    user = accounts.register(email or f"{unique('user')}@example.com", password, name, locale=locale)
    for role in roles:
        accounts.grant_role(user, role)
    db.session.commit()
    return user


def login_as(client: FlaskClient, user: User) -> FlaskClient:
    """Log ``client`` in as ``user`` through the real login page."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token_headers(user: User) -> dict:
    """Authorization headers with a fresh personal API token for ``user``."""
    _token, plain = accounts.create_api_token(user, "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def count(model, *criteria) -> int:
    """How many rows of ``model`` match, read fresh from the database."""
    db.session.expire_all()
    return db.session.execute(db.select(db.func.count()).select_from(model).where(*criteria)).scalar_one()


def make_tag(namespace: str = "skin", value: str = "dry", label_en: str | None = None,
             label_zh: str | None = None):
    from supplier.models import Tag

    tag = db.session.execute(db.select(Tag).filter_by(namespace=namespace, value=value)).scalar_one_or_none()
    if tag is None:
        tag = Tag(namespace=namespace, value=value, label_en=label_en or value.title(), label_zh=label_zh or value)
        db.session.add(tag)
        db.session.commit()
    return tag


def make_supplier(*, name: str | None = None, staff: tuple[User, ...] = (), currency: str = "CNY"):
    from supplier.models import Supplier, SupplierStaff

    name = name or unique("Orchard Co ")
    supplier = Supplier(name=name, slug=unique("supplier-"), currency=currency, description="")
    db.session.add(supplier)
    for user in staff:
        supplier.staff.append(SupplierStaff(user_id=user.id))
        accounts.grant_role(user, Role.SUPPLIER)
    db.session.commit()
    return supplier


def make_product(supplier, *, name: str | None = None, tags=(), wholesale_price: int = 1000,
                 retail_price: int = 1500, case_pack: int = 6, lead_time_days: int = 3, active: bool = True):
    from supplier.models import Product, Variant

    product = Product(supplier_id=supplier.id, name=name or unique("Product "), description="", active=active)
    product.tags = list(tags)
    product.variants.append(Variant(supplier_id=supplier.id, sku=unique("SKU-"), name="Standard", unit="box",
                                    case_pack=case_pack, wholesale_price=wholesale_price,
                                    retail_price=retail_price, currency=supplier.currency,
                                    lead_time_days=lead_time_days))
    db.session.add(product)
    db.session.commit()
    return product


def make_community(owner: User | None = None, *, name: str | None = None, slug: str | None = None,
                   currency: str = "CNY", timezone: str = "Asia/Shanghai"):
    """A community run by ``owner`` (a new shopkeeper by default), who is its SHOPKEEPER member."""
    from shopkeeper.models import Community, Membership, MembershipRole

    owner = owner or make_user(roles=(Role.SHOPKEEPER,))
    if not owner.has_role(Role.SHOPKEEPER):
        accounts.grant_role(owner, Role.SHOPKEEPER)
    community = Community(owner_id=owner.id, name=name or unique("Garden Club "), slug=slug or unique("garden-"),
                          currency=currency, timezone=timezone, description="")
    db.session.add(community)
    db.session.flush()
    db.session.add(Membership(community_id=community.id, user_id=owner.id, role=MembershipRole.SHOPKEEPER))
    db.session.commit()
    return community


def add_member(community, user: User | None = None, *, tags=()):
    """``user`` (a new person by default) joins ``community`` as a member, with optional tags."""
    from shopkeeper.models import Membership, MemberTag

    user = user or make_user()
    membership = Membership(community_id=community.id, user_id=user.id)
    membership.tags = [MemberTag(tag_id=tag.id, set_by_shopkeeper=True) for tag in tags]
    db.session.add(membership)
    db.session.commit()
    return user


def make_pickup_point(community, *, name: str | None = None, address: str = "1 Elm Street", region: str = "Xuhui",
                      opening_hours: str = "Mon–Fri 17:00–20:00", active: bool = True):
    from shopkeeper.models import PickupPoint

    point = PickupPoint(community_id=community.id, name=name or unique("Corner shop "), address=address,
                        region=region, opening_hours=opening_hours, active=active)
    db.session.add(point)
    db.session.commit()
    return point


def make_invite(community, *, created_by: User | None = None, label: str = "", expires_at: datetime | None = None,
                max_uses: int | None = None, revoked: bool = False):
    """An invite link into ``community`` (by its owner unless ``created_by``), valid unless told otherwise."""
    from shopkeeper.models import Invite

    creator_id = created_by.id if created_by else community.owner_id
    invite = Invite(community_id=community.id, created_by_id=creator_id, token=unique("token-"),
                    label=label, expires_at=expires_at, max_uses=max_uses, use_count=0,
                    revoked_at=clock.now() if revoked else None)
    db.session.add(invite)
    db.session.commit()
    return invite


def make_post(community, author: User | None = None, *, body: str = "Fresh lychees arrive on Friday.",
              pinned: bool = False):
    """A post by ``author`` (the community's owner by default), written through the feed service."""
    from shopkeeper import feed
    from shopkeeper.models import Community

    author = author or db.session.get(Community, community.id).owner
    post = feed.create_post(author, community, body)
    if pinned:
        feed.update_post(author, post.id, pinned=True)
    db.session.commit()
    return post


def make_comment(post, author: User, *, body: str = "Count me in!"):
    from shopkeeper import feed

    comment = feed.add_comment(author, post.id, body)
    db.session.commit()
    return comment
