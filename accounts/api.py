"""JSON: the current user and their API tokens."""

from flask_login import current_user
from flask_smorest import Blueprint

from accounts import services
from accounts.schemas import NewTokenOut, ProfileIn, TokenIn, TokenOut, UserOut
from core.auth import login_required

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Your account")


@blp.get("/me")
@login_required
@blp.response(200, UserOut)
def me():
    return current_user


@blp.patch("/me")
@login_required
@blp.arguments(ProfileIn)
@blp.response(200, UserOut)
def update_me(changes):
    return services.update_profile(current_user, **changes)


@blp.get("/me/tokens")
@login_required
@blp.response(200, TokenOut(many=True))
def list_tokens():
    return services.list_api_tokens(current_user)


@blp.post("/me/tokens")
@login_required
@blp.arguments(TokenIn)
@blp.response(201, NewTokenOut)
def create_token(data):
    token, plain = services.create_api_token(current_user, data["name"])
    token.token = plain  # shown in this one answer, never stored
    return token


@blp.delete("/me/tokens/<int:token_id>")
@login_required
@blp.response(204)
def revoke_token(token_id: int):
    services.revoke_api_token(current_user, token_id)
