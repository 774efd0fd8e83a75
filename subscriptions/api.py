"""JSON: subscription plans and members' subscriptions — the same services as the pages. A plan or a
subscription in a community the caller is not a member of is a 404, also by id; a member asking for what
only the shopkeepers do gets a 403. Changes to a delivery are refused from its cut-off (409 ``past_cutoff``)."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from core import clock
from core.auth import login_required
from core.extensions import ErrorOut
from shopkeeper.access import get_community
from subscriptions import plans, queries, services
from subscriptions.schemas import (
    DeliveryDateIn,
    MenuIn,
    PageIn,
    PauseIn,
    PickupPointChangeIn,
    PlanIn,
    PlanOut,
    PlanPatchIn,
    PlanSummaryOut,
    SubscribeIn,
    SubscriberPageOut,
    SubscriptionOut,
    SubscriptionSummaryOut,
    SwapIn,
)

blp = Blueprint("subscriptions_api", __name__, url_prefix="/api/v1", description="Subscription boxes")

NOT_FOUND = "Not in a community you are a member of."
SHOPKEEPERS = "Members who are not this community's shopkeeper."
PAST_CUTOFF = "``past_cutoff``: that delivery's cut-off has passed."
MINE = "Not my subscription, nor one in a community I run."


def _plan(plan) -> queries.PlanView:
    return queries.describe_plan(plan, clock.now())


def _subscription(subscription) -> queries.SubscriptionView:
    return queries.describe(subscription, clock.now())


def _box(data: dict) -> dict:
    """``items`` and ``swaps`` as the services take them: tuples."""
    if "items" in data:
        data["items"] = [(item["variant_id"], item["quantity"], item["lead_time_days"]) for item in data["items"]]
    if "swaps" in data:
        data["swaps"] = [(swap["variant_id"], swap["alternative_id"]) for swap in data["swaps"]]
    return data


@blp.get("/communities/<slug>/subscription-plans")
@login_required
@blp.response(200, PlanSummaryOut(many=True))
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
def list_plans(slug: str):
    """The community's open plans; its shopkeepers see drafts and closed plans too."""
    return queries.community_plans(current_user, get_community(slug))


@blp.post("/communities/<slug>/subscription-plans")
@login_required
@blp.arguments(PlanIn)
@blp.response(201, PlanOut)
@blp.alt_response(403, schema=ErrorOut, description=SHOPKEEPERS)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
def create_plan(data, slug: str):
    """A draft plan in the community's currency (its shopkeepers only); open it to take subscribers."""
    return _plan(plans.create_plan(current_user, get_community(slug), **_box(data)))


@blp.get("/subscription-plans/<int:plan_id>")
@login_required
@blp.response(200, PlanOut)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
def get_plan(plan_id: int):
    """The plan with its default box, the swaps it allows and its next boxes (each cycle's own menu, or the
    default), each with its cut-off and every item's leave-by date. Drafts only for the shopkeepers."""
    return _plan(plans.visible_plan(current_user, plan_id))


@blp.patch("/subscription-plans/<int:plan_id>")
@login_required
@blp.arguments(PlanPatchIn)
@blp.response(200, PlanOut)
@blp.alt_response(403, schema=ErrorOut, description=SHOPKEEPERS)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``schedule_fixed``: an open or closed plan keeps its rhythm, "
                                                    "cut-off and fulfilment.")
def update_plan(changes, plan_id: int):
    """Change a plan (its shopkeepers only). Name, description, price, capacity, pickup points, default box
    and swaps change at any time and reach the cycles not yet cut off; the rest only on a draft."""
    return _plan(plans.update_plan(current_user, plan_id, **_box(changes)))


@blp.post("/subscription-plans/<int:plan_id>/open")
@login_required
@blp.response(200, PlanOut)
@blp.alt_response(403, schema=ErrorOut, description=SHOPKEEPERS)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``wrong_state``: only a draft can be opened.")
def open_plan(plan_id: int):
    return _plan(plans.open_plan(current_user, plan_id))


@blp.post("/subscription-plans/<int:plan_id>/close")
@login_required
@blp.response(200, PlanOut)
@blp.alt_response(403, schema=ErrorOut, description=SHOPKEEPERS)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
def close_plan(plan_id: int):
    """No new subscribers and no more cycles; boxes already ordered are delivered."""
    return _plan(plans.close_plan(current_user, plan_id))


@blp.put("/subscription-plans/<int:plan_id>/menu")
@login_required
@blp.arguments(MenuIn)
@blp.response(200, PlanOut)
@blp.alt_response(403, schema=ErrorOut, description=SHOPKEEPERS)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description=PAST_CUTOFF)
def set_menu(data, plan_id: int):
    """One coming delivery's box, instead of the default, until that cycle's cut-off."""
    plans.set_menu(current_user, plan_id, data["delivery_date"], _box(data)["items"], clock.now())
    return _plan(plans.managed_plan(current_user, plan_id))


@blp.get("/subscription-plans/<int:plan_id>/subscriptions")
@login_required
@blp.arguments(PageIn, location="query")
@blp.response(200, SubscriberPageOut)
@blp.alt_response(403, schema=ErrorOut, description=SHOPKEEPERS)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
def list_subscriptions(query, plan_id: int):
    """The plan's subscriptions, oldest first, a page at a time (its shopkeepers only)."""
    page = queries.plan_subscriptions(current_user, plan_id, page=query["page"], per_page=query["per_page"])
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "has_next": page.has_next}


@blp.post("/subscription-plans/<int:plan_id>/subscriptions")
@login_required
@blp.arguments(SubscribeIn)
@blp.response(201, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=NOT_FOUND)
@blp.alt_response(409, schema=ErrorOut, description="``plan_closed`` or ``already_subscribed``.")
def subscribe(data, plan_id: int):
    """Subscribe to an open plan (again after a cancellation: the same subscription reopens). Boxes come
    from the first cycle cut off after now. ``payment_method`` reaches the service only when sent."""
    return _subscription(services.subscribe(current_user, plan_id, **data))


@blp.get("/me/subscriptions")
@login_required
@blp.response(200, SubscriptionSummaryOut(many=True))
def my_subscriptions():
    """My subscriptions (cancelled ones too) in the communities I belong to."""
    return queries.my_subscriptions(current_user)


@blp.get("/subscriptions/<int:subscription_id>")
@login_required
@blp.response(200, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=MINE)
def get_subscription(subscription_id: int):
    """The subscription with its coming deliveries — skipped or not, swaps applied, open for changes until
    the cut-off — and its past boxes with their order and payment (a declined card's reason and pay link)."""
    return _subscription(services.get_subscription(current_user, subscription_id))


@blp.post("/subscriptions/<int:subscription_id>/skip")
@login_required
@blp.arguments(DeliveryDateIn)
@blp.response(200, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=MINE)
@blp.alt_response(409, schema=ErrorOut, description=f"``cancelled``; {PAST_CUTOFF}")
def skip(data, subscription_id: int):
    """No box on that delivery (skipping twice is the same skip), until its cut-off."""
    return _subscription(services.skip(current_user, subscription_id, data["delivery_date"]))


@blp.post("/subscriptions/<int:subscription_id>/unskip")
@login_required
@blp.arguments(DeliveryDateIn)
@blp.response(200, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=MINE)
@blp.alt_response(409, schema=ErrorOut, description=f"``cancelled``; {PAST_CUTOFF}")
def unskip(data, subscription_id: int):
    """Take back a skip, until the delivery's cut-off."""
    return _subscription(services.unskip(current_user, subscription_id, data["delivery_date"]))


@blp.post("/subscriptions/<int:subscription_id>/swap")
@login_required
@blp.arguments(SwapIn)
@blp.response(200, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=MINE)
@blp.alt_response(409, schema=ErrorOut, description=f"``cancelled``; {PAST_CUTOFF}")
def swap(data, subscription_id: int):
    """For one delivery, an item the plan allows instead of one in the box, until its cut-off; swapping to
    the item itself takes the swap back."""
    return _subscription(services.swap(current_user, subscription_id, **data))


@blp.post("/subscriptions/<int:subscription_id>/pause")
@login_required
@blp.arguments(PauseIn)
@blp.response(200, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=MINE)
@blp.alt_response(409, schema=ErrorOut, description="``cancelled``.")
def pause(data, subscription_id: int):
    """No boxes from the first delivery still open until ``until``, its first delivery back (or until
    resumed); a box already cut off still comes."""
    return _subscription(services.pause(current_user, subscription_id, data["until"]))


@blp.post("/subscriptions/<int:subscription_id>/resume")
@login_required
@blp.response(200, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=MINE)
@blp.alt_response(409, schema=ErrorOut, description="``cancelled``.")
def resume(subscription_id: int):
    """Boxes again from the first delivery still open."""
    return _subscription(services.resume(current_user, subscription_id))


@blp.post("/subscriptions/<int:subscription_id>/cancel")
@login_required
@blp.response(200, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=MINE)
def cancel(subscription_id: int):
    """No more boxes after those already cut off; cancelling again changes nothing."""
    return _subscription(services.cancel(current_user, subscription_id))


@blp.put("/subscriptions/<int:subscription_id>/pickup-point")
@login_required
@blp.arguments(PickupPointChangeIn)
@blp.response(200, SubscriptionOut)
@blp.alt_response(404, schema=ErrorOut, description=MINE)
@blp.alt_response(409, schema=ErrorOut, description="``cancelled``.")
def change_pickup_point(data, subscription_id: int):
    """Collect the boxes at another of the plan's pickup points, from the first delivery still open (a box
    already cut off goes where it was ordered to)."""
    return _subscription(services.change_pickup_point(current_user, subscription_id, data["pickup_point_id"]))
