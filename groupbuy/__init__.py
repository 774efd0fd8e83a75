"""Group purchase orders on suppliers' offers (issue #3)."""
