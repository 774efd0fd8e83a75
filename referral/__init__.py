"""Growth and rewards: invites, reviews, lucky draws, store credit (issue #6)."""
