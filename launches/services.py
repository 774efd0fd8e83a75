"""Launches as their makers and members use them: create, edit, publish, cancel, reveal stages, restock,
follow. A shopkeeper's launch lives in their community; a supplier's (``supplier_id`` set) is for its own
variant across communities it chooses. Members of a launch's communities see it once published; anyone
else gets a 404, also by id. Every refusal is a ``DomainError`` raised before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from accounts.models import User
from core import clock
from core.errors import DomainError, Forbidden, NotFound
from core.extensions import db
from core.uploads import delete_after_commit, save_image
from launches import raffle, stock, waitlist
from launches.models import Launch, LaunchFollow, LaunchMode, LaunchStatus, RevealImage, RevealStage, launch_communities
from shopkeeper.access import is_shopkeeper, membership_of, require_shopkeeper
from shopkeeper.models import Community, Membership
from shopkeeper.validation import MAX_ID, MAX_WHOLE, refuse, text_field, whole_number
from supplier.access import is_staff
from supplier.models import Variant

MAX_TITLE = 160
MAX_TEXT = 5000
MAX_STAGES = 10
MAX_IMAGES = 9
MAX_UNITS = MAX_WHOLE
MAX_CHECKOUT_MINUTES = 24 * 60
MAX_CLAIM_MINUTES = 7 * 24 * 60
#: the fields a launch's maker may give and change
LAUNCH_FIELDS = ("title", "teaser", "price", "stock", "per_member_limit", "opens_at", "closes_at", "mode",
                 "checkout_minutes", "claim_minutes")


@dataclass
class LaunchLists:
    """A community's launches as members see them: teasers only, by phase."""

    upcoming: list[Launch]
    open: list[Launch]
    closed: list[Launch]


def phase(launch: Launch, now: datetime) -> str:
    """"upcoming" before it opens, "open" until it closes (or sells out with no close), else "closed"."""
    if launch.status == LaunchStatus.CANCELLED:
        return "closed"
    if now < launch.opens_at:
        return "upcoming"
    if launch.closes_at is not None and now >= launch.closes_at:
        return "closed"
    return "open"


def may_manage(user: User | None, launch: Launch) -> bool:
    """A supplier's launch is its staff's; a shopkeeper's, its community's shopkeepers'."""
    if launch.supplier_id is not None:
        return is_staff(user, launch.supplier_id)
    return any(is_shopkeeper(user, community) for community in launch.communities)


def _get(launch_id: int) -> Launch:
    launch = db.session.get(Launch, launch_id) if 1 <= launch_id <= MAX_ID else None
    if launch is None:
        raise NotFound()
    return launch


def visible_launch(user: User | None, launch_id: int, community: Community | None = None,
                   ) -> tuple[Launch, Membership]:
    """The launch and the caller's membership of the community they see it through (``community`` when
    given, else the first of the launch's they belong to). A draft is seen only by its makers.
    Raises ``not_found`` for everyone else."""
    launch = _get(launch_id)
    communities = [c for c in launch.communities if community is None or c.id == community.id]
    membership = next((m for m in (membership_of(user, c) for c in communities) if m is not None), None)
    if membership is None or (launch.status == LaunchStatus.DRAFT and not may_manage(user, launch)):
        raise NotFound()
    return launch, membership


def managed_launch(user: User, launch_id: int) -> Launch:
    """A launch the caller may change. Raises ``not_found`` (cannot see it) and ``forbidden``."""
    launch = _get(launch_id)
    if may_manage(user, launch):
        return launch
    if any(membership_of(user, community) for community in launch.communities) \
            and launch.status != LaunchStatus.DRAFT:
        raise Forbidden(_l("Only the launch's makers can change it."))
    raise NotFound()


def community_launches(user: User, community: Community, now: datetime | None = None) -> LaunchLists:
    """The community's launches by phase, drafts only for those who may change them. Raises
    ``not_found`` for outsiders (through the caller's membership check)."""
    now = now or clock.now()
    launches = db.session.execute(
        sa.select(Launch).join(launch_communities).where(launch_communities.c.community_id == community.id)
        .order_by(Launch.opens_at, Launch.id).options(selectinload(Launch.communities))).scalars().all()
    lists = LaunchLists([], [], [])
    for launch in launches:
        if launch.status == LaunchStatus.DRAFT and not may_manage(user, launch):
            continue
        getattr(lists, phase(launch, now)).append(launch)
    return lists


def launch_communities_for(user: User) -> list[Community]:
    """The communities a supplier may launch in: every community (any may carry its products), by name."""
    return list(db.session.execute(sa.select(Community).order_by(Community.name, Community.id)).scalars())


def create_launch(user: User, community: Community, *, variant_id: int, **values) -> Launch:
    """A shopkeeper's draft launch in their community, priced in its currency. Raises ``not_found``,
    ``forbidden`` and the validation codes of :func:`_check` and ``bad_variant``."""
    require_shopkeeper(user, community)
    variant = _variant(variant_id)
    launch = Launch(created_by_id=user.id, variant_id=variant.id, currency=community.currency)
    _apply(launch, _check(values, creating=True))
    launch.communities = [community]
    db.session.add(launch)
    db.session.flush()
    return launch


def create_supplier_launch(user: User, supplier_id: int, community_ids: Sequence[int], *, variant_id: int,
                           **values) -> Launch:
    """A supplier's draft launch of its own variant across the chosen communities (which must share one
    currency: the price is in it). Raises ``not_found`` (not its staff), ``bad_variant``,
    ``bad_communities`` and the codes of :func:`_check`."""
    if not is_staff(user, supplier_id):
        raise NotFound()
    variant = _variant(variant_id)
    if variant.supplier_id != supplier_id:
        raise DomainError("bad_variant", _l("Choose one of your own products."), field="variant_id", status=422)
    communities = _communities(community_ids)
    launch = Launch(created_by_id=user.id, supplier_id=supplier_id, variant_id=variant.id,
                    currency=communities[0].currency)
    _apply(launch, _check(values, creating=True))
    launch.communities = communities
    db.session.add(launch)
    db.session.flush()
    return launch


def update_launch(user: User, launch_id: int, *, community_ids: Sequence[int] | None = None, **changes) -> Launch:
    """Change what is given. Once published, more stock is a restock (:func:`restock`) and stock never
    drops below what is sold and held. Raises ``not_found``, ``forbidden``, ``cancelled`` and the codes
    of :func:`_check`."""
    launch = managed_launch(user, launch_id)
    if launch.status == LaunchStatus.CANCELLED:
        raise DomainError("cancelled", _l("This launch is cancelled."), status=409)
    values = _check({**_values_of(launch), **{k: v for k, v in changes.items() if v is not None
                                              or k == "closes_at"}}, creating=False)
    added = values["stock"] - launch.stock
    if added < 0 and values["stock"] < launch.sold + launch.held:
        raise DomainError("stock_below_taken", _l("Stock cannot go below the units already sold or held."),
                          field="stock", status=422)
    if community_ids is not None and launch.supplier_id is not None:
        launch.communities = _communities(community_ids)
    if launch.status == LaunchStatus.PUBLISHED and added > 0:
        values["stock"] = launch.stock
        _apply(launch, values)
        db.session.flush()
        return restock(user, launch.id, added)
    _apply(launch, values)
    db.session.flush()
    return launch


def publish(user: User, launch_id: int) -> Launch:
    """Announce a draft: members see its teaser from now on. Raises ``not_found``, ``forbidden``,
    ``wrong_state``."""
    launch = managed_launch(user, launch_id)
    if launch.status != LaunchStatus.DRAFT:
        raise DomainError("wrong_state", _l("Only a draft can be published."), status=409)
    launch.status = LaunchStatus.PUBLISHED
    db.session.flush()
    raffle.prepare(launch)  # a raffle publishes its seed's commitment now, before anyone can enter
    return launch


def cancel(user: User, launch_id: int) -> Launch:
    """Withdraw a launch. Raises ``not_found``, ``forbidden``, ``wrong_state`` (already cancelled)."""
    launch = managed_launch(user, launch_id)
    if launch.status == LaunchStatus.CANCELLED:
        raise DomainError("wrong_state", _l("This launch is cancelled already."), status=409)
    launch.status = LaunchStatus.CANCELLED
    db.session.flush()
    return launch


def restock(actor: User, launch_id: int, units: int) -> Launch:
    """Raise the stock by ``units`` in one UPDATE (no lost update against concurrent holds), then offer
    the new units to the waitlist when that part is installed. Raises ``not_found``, ``forbidden``,
    ``bad_units``."""
    launch = managed_launch(actor, launch_id)
    if not isinstance(units, int) or not 1 <= units <= MAX_UNITS - launch.stock:
        raise DomainError("bad_units", _l("Add at least one unit."), field="stock", status=422)
    stock.add_stock(launch.id, units)
    db.session.refresh(launch)
    # offered in a job of its own after this commits, so the offers lock rows in the one order the drops
    # use (waitlist entry, allowance, launch) — never the launch first, as this request already has
    waitlist.offer_later(launch.id)
    return launch


def add_stage(user: User, launch_id: int, *, reveal_at: datetime, title: str, body: str = "",
              price: int | None = None, specs: str = "", images: Iterable[FileStorage] = ()) -> RevealStage:
    """A reveal stage: its content is shown from ``reveal_at`` on (``launches.reveals``). Raises
    ``not_found``, ``forbidden``, ``too_many_stages`` and the stage's validation codes."""
    launch = managed_launch(user, launch_id)
    if len(launch.stages) >= MAX_STAGES:
        raise DomainError("too_many_stages", _l("A launch has at most %(n)s stages.", n=MAX_STAGES), status=422)
    stage = RevealStage(launch_id=launch.id)
    _apply_stage(stage, reveal_at=reveal_at, title=title, body=body, price=price, specs=specs)
    files = _image_files(images)
    stage.images = [RevealImage(filename=save_image(file, field="images"), position=position)
                    for position, file in enumerate(files)]
    launch.stages.append(stage)
    db.session.flush()
    return stage


def update_stage(user: User, launch_id: int, stage_id: int, **changes) -> RevealStage:
    """Change a stage's time or content; ``images`` given are added after the existing ones. Raises as
    :func:`add_stage` does."""
    stage = _stage(user, launch_id, stage_id)
    files = _image_files(changes.pop("images", ()) or (), already=len(stage.images))
    current = {"reveal_at": stage.reveal_at, "title": stage.title, "body": stage.body, "price": stage.price,
               "specs": stage.specs}
    _apply_stage(stage, **{**current, **{k: v for k, v in changes.items() if k in current}})
    start = len(stage.images)
    stage.images.extend(RevealImage(filename=save_image(file, field="images"), position=start + offset)
                        for offset, file in enumerate(files))
    db.session.flush()
    return stage


def remove_stage(user: User, launch_id: int, stage_id: int) -> None:
    """Delete a stage with its images (files removed once committed). Raises ``not_found``, ``forbidden``."""
    stage = _stage(user, launch_id, stage_id)
    for image in stage.images:
        delete_after_commit(image.filename)
    stage.launch.stages.remove(stage)
    db.session.flush()


def follow(user: User, launch_id: int, community: Community | None = None) -> bool:
    """Ask to be told of each reveal and the opening; following twice is one follow. Returns True."""
    launch, _membership = visible_launch(user, launch_id, community)
    if not is_following(user, launch):
        db.session.add(LaunchFollow(launch_id=launch.id, user_id=user.id, created_at=clock.now()))
        db.session.flush()
    return True


def unfollow(user: User, launch_id: int, community: Community | None = None) -> bool:
    launch, _membership = visible_launch(user, launch_id, community)
    db.session.execute(sa.delete(LaunchFollow).where(LaunchFollow.launch_id == launch.id,
                                                     LaunchFollow.user_id == user.id))
    return False


def is_following(user: User, launch: Launch) -> bool:
    return db.session.get(LaunchFollow, (launch.id, user.id)) is not None


def _stage(user: User, launch_id: int, stage_id: int) -> RevealStage:
    launch = managed_launch(user, launch_id)
    stage = next((s for s in launch.stages if s.id == stage_id), None)
    if stage is None:
        raise NotFound()
    return stage


def _variant(variant_id) -> Variant:
    variant = db.session.get(Variant, variant_id) if isinstance(variant_id, int) and 1 <= variant_id <= MAX_ID \
        else None
    if variant is None or not variant.active or not variant.product.active:
        raise DomainError("bad_variant", _l("Choose a product from the catalog."), field="variant_id", status=422)
    return variant


def _communities(community_ids: Sequence[int]) -> list[Community]:
    ids = sorted({i for i in community_ids if isinstance(i, int) and 1 <= i <= MAX_ID})
    communities = list(db.session.execute(sa.select(Community).where(Community.id.in_(ids))
                                          .order_by(Community.id)).scalars()) if ids else []
    if not communities or len(communities) != len(ids):
        raise DomainError("bad_communities", _l("Choose at least one community."), field="community_ids",
                          status=422)
    if len({community.currency for community in communities}) > 1:
        raise DomainError("bad_communities", _l("Choose communities that use one currency."),
                          field="community_ids", status=422)
    return communities


def _values_of(launch: Launch) -> dict:
    return {name: getattr(launch, name) for name in LAUNCH_FIELDS}


def _apply(launch: Launch, values: dict) -> None:
    for name, value in values.items():
        setattr(launch, name, value)


def _check(values: dict, *, creating: bool) -> dict:
    """The launch's fields validated together (defaults filled in): the first problem is refused."""
    checked = {"title": text_field(values.get("title"), "title", MAX_TITLE, required=True),
               "teaser": text_field(values.get("teaser") or "", "teaser", MAX_TEXT, required=False),
               "price": whole_number(values.get("price"), "price", 0),
               "stock": whole_number(values.get("stock"), "stock", 1),
               "per_member_limit": whole_number(values.get("per_member_limit", 1), "per_member_limit", 1),
               "checkout_minutes": whole_number(values.get("checkout_minutes") or 10, "checkout_minutes", 1,
                                          MAX_CHECKOUT_MINUTES),
               "claim_minutes": whole_number(values.get("claim_minutes") or 60, "claim_minutes", 1, MAX_CLAIM_MINUTES)}
    try:
        checked["mode"] = LaunchMode(values.get("mode") or LaunchMode.FIRST_COME)
    except ValueError:
        refuse("bad_mode", _l("Choose first come or raffle."), "mode")
    opens_at, closes_at = values.get("opens_at"), values.get("closes_at")
    if not isinstance(opens_at, datetime) or opens_at.tzinfo is None:
        refuse("required", _l("Give the opening time."), "opens_at")
    if creating and opens_at <= clock.now():
        refuse("in_the_past", _l("The opening time must be in the future."), "opens_at")
    if closes_at is not None and (not isinstance(closes_at, datetime) or closes_at.tzinfo is None
                                  or closes_at <= opens_at):
        refuse("bad_close", _l("The closing time must come after the opening."), "closes_at")
    if checked["mode"] == LaunchMode.RAFFLE and closes_at is None:
        refuse("required", _l("A raffle needs a closing time: the draw happens then."), "closes_at")
    if checked["per_member_limit"] > checked["stock"]:
        refuse("limit_above_stock", _l("The per-member limit cannot exceed the stock."), "per_member_limit")
    return {**checked, "opens_at": opens_at, "closes_at": closes_at}


def _apply_stage(stage: RevealStage, *, reveal_at, title, body, price, specs) -> None:
    if not isinstance(reveal_at, datetime) or reveal_at.tzinfo is None:
        refuse("required", _l("Give the reveal time."), "reveal_at")
    stage.reveal_at = reveal_at
    stage.title = text_field(title, "title", MAX_TITLE, required=True)
    stage.body = text_field(body or "", "body", MAX_TEXT, required=False)
    stage.price = None if price is None else whole_number(price, "price", 0)
    stage.specs = text_field(specs or "", "specs", MAX_TEXT, required=False)


def _image_files(images: Iterable[FileStorage], already: int = 0) -> list[FileStorage]:
    files = [file for file in images if file and file.filename]
    if already + len(files) > MAX_IMAGES:
        raise DomainError("too_many_images", _l("Attach at most %(n)s images.", n=MAX_IMAGES), field="images",
                          status=422)
    return files
