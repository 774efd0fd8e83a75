"""What the community's home page shows beside the feed. Owned by the communities work (issue #2)."""

from __future__ import annotations

from accounts.models import User
from shopkeeper.models import Community, Membership


def community_panel(user: User, community: Community, membership: Membership) -> dict:
    """Context for ``templates/shopkeeper/_community_panel.html``: pickup points, recommendations for
    this member, and the shopkeeper's shortcuts (members, invites)."""
    return {"community": community, "membership": membership}
