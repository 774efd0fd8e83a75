"""Pages: one-to-one messages between a community's shopkeeper and its members."""

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from core.auth import login_required
from core.errors import DomainError
from core.forms import form_error, invalid_form
from shopkeeper import messaging
from shopkeeper.access import get_community, is_shopkeeper
from shopkeeper.recommendations import recommend_for_member
from shopkeeper.social_forms import MessageForm

log = logging.getLogger(__name__)

bp = Blueprint("messages", __name__)

TEMPLATE = "shopkeeper/messages/thread.html"


@bp.app_context_processor
def _unread_messages():
    """The nav's unread badge on every page. A page that is already failing (a broken transaction behind
    an error page) shows no badge rather than failing twice."""
    if not current_user.is_authenticated:
        return {"unread_messages": 0}
    try:
        return {"unread_messages": messaging.unread_count(current_user)}
    except SQLAlchemyError:
        log.warning("unread count unavailable on %s", request.path, exc_info=True)
        return {"unread_messages": 0}


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


def _recommendations(conversation) -> list:
    """Products to suggest to this member, beside the shopkeeper's side of the thread."""
    return recommend_for_member(conversation.member, limit=6)


@bp.get("/messages")
@login_required
def inbox():
    page, entries = messaging.inbox(current_user, page=_page_number())
    return render_template("shopkeeper/messages/inbox.html", page=page, entries=entries)


@bp.route("/c/<slug>/messages", methods=["GET", "POST"])
@login_required
def member_thread(slug: str):
    community = get_community(slug)
    if is_shopkeeper(current_user, community):
        return redirect(url_for("messages.inbox"))
    form = MessageForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return invalid_form(TEMPLATE, form, conversation=messaging.member_conversation(current_user, community))
        try:
            messaging.send_to_shop(current_user, community, form.body.data)
        except DomainError as error:
            return form_error(form, error, TEMPLATE,
                              conversation=messaging.member_conversation(current_user, community))
        return redirect(url_for("messages.member_thread", slug=slug, _anchor="latest"))
    conversation = messaging.member_conversation(current_user, community, page=_page_number())
    return render_template(TEMPLATE, form=form, conversation=conversation)


@bp.route("/c/<slug>/messages/<int:user_id>", methods=["GET", "POST"])
@login_required
def thread(slug: str, user_id: int):
    community = get_community(slug)
    form = MessageForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            conversation = messaging.shopkeeper_conversation(current_user, community, user_id)
            return invalid_form(TEMPLATE, form, conversation=conversation,
                                recommendations=_recommendations(conversation))
        try:
            messaging.send_to_member(current_user, community, user_id, form.body.data)
        except DomainError as error:
            conversation = messaging.shopkeeper_conversation(current_user, community, user_id)
            return form_error(form, error, TEMPLATE, conversation=conversation,
                              recommendations=_recommendations(conversation))
        return redirect(url_for("messages.thread", slug=slug, user_id=user_id, _anchor="latest"))
    conversation = messaging.shopkeeper_conversation(current_user, community, user_id, page=_page_number())
    return render_template(TEMPLATE, form=form, conversation=conversation,
                           recommendations=_recommendations(conversation))
