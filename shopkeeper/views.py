"""Pages for communities: the shopkeeper's and the member's."""

from flask import Blueprint, render_template

bp = Blueprint("shopkeeper", __name__)


def home():
    return render_template("home.html")


@bp.route("/communities")
def my_communities():
    return ""
