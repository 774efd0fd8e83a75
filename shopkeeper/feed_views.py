"""Pages: the community feed (the community's home page), posts, comments, reactions."""

from flask import Blueprint

bp = Blueprint("feed", __name__)
