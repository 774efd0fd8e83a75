"""JSON: one-to-one messages. A member reaches only their own thread with the shop; a shopkeeper the
threads of the communities they run. Anything else is a 404."""

from flask_login import current_user
from flask_smorest import Blueprint

from core.auth import login_required
from shopkeeper import messaging
from shopkeeper.access import get_community
from shopkeeper.social_schemas import MessageIn, MessageOut, ThreadOut, UnreadOut

blp = Blueprint("messages_api", __name__, url_prefix="/api/v1", description="Messages")


def _page_of(conversation, pagination_parameters) -> list:
    """Messages newest first; reading them marks the other side's as read."""
    page = conversation.page
    pagination_parameters.item_count = page.total if page else 0
    return page.items if page else []


@blp.get("/messages/threads")
@login_required
@blp.response(200, ThreadOut(many=True))
@blp.paginate(page_size=messaging.INBOX_PAGE_SIZE)
def threads(pagination_parameters):
    """All your threads, as a member and as a shopkeeper, newest activity first, with unread counts."""
    page, entries = messaging.inbox(current_user, page=pagination_parameters.page,
                                    per_page=pagination_parameters.page_size)
    pagination_parameters.item_count = page.total
    return entries


@blp.get("/messages/unread")
@login_required
@blp.response(200, UnreadOut)
def unread():
    return {"unread": messaging.unread_count(current_user)}


@blp.get("/communities/<slug>/messages")
@login_required
@blp.response(200, MessageOut(many=True))
@blp.paginate(page_size=messaging.MESSAGE_PAGE_SIZE)
def member_messages(slug: str, pagination_parameters):
    """A member's thread with the shop, newest first (marks the shop's messages read)."""
    conversation = messaging.member_conversation(current_user, get_community(slug), page=pagination_parameters.page,
                                                per_page=pagination_parameters.page_size)
    return _page_of(conversation, pagination_parameters)


@blp.post("/communities/<slug>/messages")
@login_required
@blp.arguments(MessageIn)
@blp.response(201, MessageOut)
def message_shop(data, slug: str):
    """A member writes to the shop."""
    return messaging.send_to_shop(current_user, get_community(slug), data["body"])


@blp.get("/communities/<slug>/messages/<int:user_id>")
@login_required
@blp.response(200, MessageOut(many=True))
@blp.paginate(page_size=messaging.MESSAGE_PAGE_SIZE)
def shop_messages(slug: str, user_id: int, pagination_parameters):
    """The shopkeeper's thread with one member, newest first (marks the member's messages read)."""
    conversation = messaging.shopkeeper_conversation(current_user, get_community(slug), user_id,
                                                     page=pagination_parameters.page,
                                                per_page=pagination_parameters.page_size)
    return _page_of(conversation, pagination_parameters)


@blp.post("/communities/<slug>/messages/<int:user_id>")
@login_required
@blp.arguments(MessageIn)
@blp.response(201, MessageOut)
def message_member(data, slug: str, user_id: int):
    """The shopkeeper writes to one member."""
    return messaging.send_to_member(current_user, get_community(slug), user_id, data["body"])
