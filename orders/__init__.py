"""Order and OrderLine: the one record every flow produces (issue #3 onward)."""
