"""Subscription boxes (issue #5)."""
