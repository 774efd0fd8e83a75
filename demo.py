"""``flask seed-demo``: a living Tuan to click through."""

from flask import Flask


def register_demo_cli(app: Flask) -> None:
    pass
