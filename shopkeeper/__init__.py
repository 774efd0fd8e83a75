"""The shopkeeper's space: communities, invites, members and their tags, pickup points, the feed,
one-to-one messages and recommendations."""
