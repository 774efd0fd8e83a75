"""Scarcity launches (issue #4)."""
