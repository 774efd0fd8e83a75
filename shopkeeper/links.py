"""Links to pages that other parts of the shopkeeper package own (the feed, the messages), falling back
gracefully while those pages do not exist yet."""

from __future__ import annotations

from flask import current_app, url_for

from shopkeeper.models import Community


def community_home_url(community: Community) -> str:
    """The community's home page (the feed), or the list of my communities until the feed exists."""
    if "feed.community" in current_app.view_functions:
        return url_for("feed.community", slug=community.slug)
    return url_for("shopkeeper.my_communities")


def message_url(community: Community, user_id: int) -> str | None:
    """The one-to-one thread with a member, or None while messages do not exist yet."""
    if "messages.thread" in current_app.view_functions:
        return url_for("messages.thread", slug=community.slug, user_id=user_id)
    return None
