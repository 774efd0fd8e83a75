"""The notifications page and the bell's unread count in every page's header."""

import logging

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from core import notify
from core.auth import login_required

log = logging.getLogger(__name__)

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _unread_notifications():
    """The bell's count. A page already failing (a broken transaction behind an error page) shows no
    count rather than failing twice."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    try:
        return {"unread_notifications": notify.unread_count(current_user.id)}
    except SQLAlchemyError:
        log.warning("notification count unavailable on %s", request.path, exc_info=True)
        return {"unread_notifications": 0}


@bp.get("/notifications")
@login_required
def index():
    """Newest first; the ones unread until now are marked, then every one is read."""
    notifications = notify.recent(current_user.id)
    unread = {notification.id for notification in notifications if notification.read_at is None}
    notify.mark_all_read(current_user.id)
    return render_template("notifications.html", notifications=notifications, unread=unread)
