"""JSON: group buys and my pledge. The same services as the pages; anything in a community the caller is
not a member of is a 404, also by id."""

from types import SimpleNamespace

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required
from core.errors import NotFound
from groupbuy import deposits, pledges, services
from groupbuy.schemas import GroupBuyIn, GroupBuyOut, GroupBuyPatchIn, PledgeIn, PledgeOut, ProgressOut
from shopkeeper.access import get_community

blp = Blueprint("groupbuy_api", __name__, url_prefix="/api/v1", description="Group buys and pledges")


@blp.get("/communities/<slug>/group-buys")
@login_required
@blp.response(200, GroupBuyOut(many=True))
def list_group_buys(slug: str):
    """The community's group buys, open ones first."""
    return services.community_group_buys(current_user, get_community(slug))


@blp.post("/communities/<slug>/group-buys")
@login_required
@blp.arguments(GroupBuyIn)
@blp.response(201, GroupBuyOut)
def create_group_buy(data, slug: str):
    """Start a group buy on an open offer (the community's shopkeepers only; photos are added on the page)."""
    return services.describe(services.create_group_buy(current_user, get_community(slug), **data))


@blp.get("/group-buys/<int:group_buy_id>")
@login_required
@blp.response(200, GroupBuyOut)
def get_group_buy(group_buy_id: int):
    return services.describe(services.visible_group_buy(current_user, group_buy_id)[0])


@blp.patch("/group-buys/<int:group_buy_id>")
@login_required
@blp.arguments(GroupBuyPatchIn)
@blp.response(200, GroupBuyOut)
def update_group_buy(changes, group_buy_id: int):
    """Change an open group buy (never its offer)."""
    return services.describe(services.update_group_buy(current_user, group_buy_id, **changes))


@blp.post("/group-buys/<int:group_buy_id>/cancel")
@login_required
@blp.response(200, GroupBuyOut)
def cancel_group_buy(group_buy_id: int):
    """Withdraw an open group buy: every pledge on it is released and its deposits given back."""
    group_buy = services.cancel_group_buy(current_user, group_buy_id)
    deposits.release_group_buy(group_buy)
    return services.describe(group_buy)


@blp.get("/group-buys/<int:group_buy_id>/progress")
@login_required
@blp.response(200, ProgressOut)
def progress(group_buy_id: int):
    """Pooled total, MOQ, current and next tier with member prices, pledge count, deadline and status:
    what the group buy page polls."""
    return services.describe(services.visible_group_buy(current_user, group_buy_id)[0])


@blp.get("/group-buys/<int:group_buy_id>/pledge")
@login_required
@blp.response(200, PledgeOut)
def my_pledge(group_buy_id: int):
    """My active pledge on the group buy (404 when I have none)."""
    pledge = pledges.my_pledge(current_user, group_buy_id)
    if pledge is None:
        raise NotFound()
    return _with_deposit(pledge, deposits.describe(pledge))


@blp.put("/group-buys/<int:group_buy_id>/pledge")
@login_required
@blp.arguments(PledgeIn)
@blp.response(200, PledgeOut)
def put_pledge(data, group_buy_id: int):
    """Pledge, or change my pledge, until the deadline. The deposit falls due at once (a top-up for the
    difference when the pledge grows); on card payments the answer's ``deposit.client_secret`` is for
    Stripe.js when the browser must finish it."""
    payment_method = data.pop("payment_method", None)
    pledge = pledges.pledge(current_user, group_buy_id, **data)
    return _with_deposit(pledge, deposits.take(pledge, payment_method))


@blp.delete("/group-buys/<int:group_buy_id>/pledge")
@login_required
@blp.response(204)
def cancel_pledge(group_buy_id: int):
    """Withdraw my pledge before the deadline; a deposit paid is refunded, one unpaid cancelled."""
    deposits.release(pledges.cancel_pledge(current_user, group_buy_id))


def _with_deposit(pledge, deposit: deposits.Deposit) -> SimpleNamespace:
    """My pledge as ``PledgeOut`` dumps it: ``pledges.MyPledge`` and its deposit."""
    return SimpleNamespace(**vars(pledges.describe(pledge)), deposit=deposit)
