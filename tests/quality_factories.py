"""Factories for the quality harness (browser, API fuzzing): posts, invites and a populated community.
Plain functions with keyword overrides; each commits, as a real request would."""

from __future__ import annotations

from accounts.models import Role, User
from core.extensions import db
from tests.factories import add_member, make_community, make_product, make_supplier, make_tag, make_user


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


def make_invite(community, *, created_by: User | None = None, label: str = "Neighbours' group",
                max_uses: int | None = None):
    """An open invite link into ``community``, made by its shopkeeper through the invites service."""
    from shopkeeper import invites
    from shopkeeper.models import Community

    created_by = created_by or db.session.get(Community, community.id).owner
    invite = invites.create_invite(created_by, community, label=label, max_uses=max_uses)
    db.session.commit()
    return invite


def make_pickup_point(community, *, name: str = "Lotus Court gate", address: str = "18 Lotus Road, gate 2"):
    from shopkeeper import services
    from shopkeeper.models import Community

    point = services.add_pickup_point(db.session.get(Community, community.id).owner, community, name=name,
                                      address=address, region="Xuhui", opening_hours="Mon–Fri 17:00–20:00")
    db.session.commit()
    return point


def make_busy_world() -> dict:
    """One person who is everything at once — operator, supplier staff and shopkeeper of a community with
    tagged members, posts with comments and an invite — so that every API operation has something to find.
    ``spares`` are a second post, comment and invite, there to be deleted or withdrawn."""
    boss = make_user(display_name="Wang Fang 王芳", roles=(Role.OPERATOR, Role.SHOPKEEPER))
    dry, oily = make_tag("skin", "dry", "Dry", "干性"), make_tag("skin", "oily", "Oily", "油性")
    supplier = make_supplier(name="Hainan Orchards", staff=(boss,))
    product = make_product(supplier, name="Lychee box", tags=(dry,))
    community = make_community(boss, name="Lotus Court", slug="lotus-court")
    members = [add_member(community, make_user(display_name=name), tags=tags)
               for name, tags in (("Li Na 李娜", (dry,)), ("Zhang Wei 张伟", (oily,)), ("Emma Brown", ()))]
    point = make_pickup_point(community)
    # The spares come first: small ids (1, 0) are what generated requests try most.
    spare_post = make_post(community, boss, body="Last week's peaches: all picked up, thank you!")
    spares = {"post": spare_post, "comment": make_comment(spare_post, members[1], body="Delicious!"),
              "invite": make_invite(community, label="Old flyer")}
    post = make_post(community, boss, pinned=True)
    comment = make_comment(post, members[0])
    invite = make_invite(community)
    return {"user": boss, "tags": (dry, oily), "supplier": supplier, "product": product, "community": community,
            "members": members, "point": point, "post": post, "comment": comment, "invite": invite,
            "spares": spares}
