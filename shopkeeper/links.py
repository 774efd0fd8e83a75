"""Links to the pages of a community that other modules of the package own (the feed, the messages)."""

from __future__ import annotations

from flask import url_for

from shopkeeper.models import Community


def community_home_url(community: Community) -> str:
    """The community's home page: its feed."""
    return url_for("feed.community", slug=community.slug)


def message_url(community: Community, user_id: int) -> str:
    """The shopkeeper's one-to-one thread with a member."""
    return url_for("messages.thread", slug=community.slug, user_id=user_id)
