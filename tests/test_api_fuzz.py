"""Schemathesis throws generated requests — valid and invalid — at every operation of the JSON API, in
process (no network), as someone who may do everything: operator, supplier staff and shopkeeper of a
busy community. Whatever comes in, the server must answer with a clear 2xx/4xx, never a 5xx.
Half the generated paths are steered to things that exist, and some values are swapped for ones that
have broken servers before (NUL, huge integers…), so that the fuzzing reaches the use cases themselves.

``TUAN_FUZZ_EXAMPLES`` sets the examples per operation (30 by default). A failure comes with a curl line
that reproduces it."""

from __future__ import annotations

import contextvars
import logging
import os

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from accounts import services as accounts
from accounts.models import ApiToken, User
from core.extensions import db
from tests.quality_factories import make_busy_world

EXAMPLES = int(os.environ.get("TUAN_FUZZ_EXAMPLES", "30"))
CONFIG = {"generation": {"mode": "all", "max-examples": EXAMPLES}}
#: values that have broken real servers: NUL (PostgreSQL refuses it in text), LIKE wildcards, blanks,
#: four-byte and bidi characters; integers past 32 and 64 bits
HOSTILE_TEXT = ("a\u0000b", "\u0000", "%", "_%\\", "   ", "王芳🍑", "\u202ehello")
HOSTILE_NUMBERS = (0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**70)


def isolated(call, *args, **kwargs):
    """One request in a context of its own, as in production: its own app context, ``g`` and session."""
    return contextvars.Context().run(call, *args, **kwargs)


class Tracebacks(logging.Handler):
    """Keeps what ``core.errors`` logs about an unhandled error, so that a 5xx comes with its cause."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.formatter = logging.Formatter("%(message)s")
        self.last = ""

    def emit(self, record):
        self.last = self.format(record)


@pytest.fixture
def tracebacks():
    handler = Tracebacks()
    logger = logging.getLogger("core.errors")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


class Bearer:
    """The busy user's API token. The fuzzer may well revoke it (DELETE /me/tokens/{id}); a new one is
    made then, so that the rest of the run still reaches past authentication."""

    def __init__(self, user):
        self.user_id = user.id
        self.token_id, self.plain = self._new(user)

    @staticmethod
    def _new(user):
        token, plain = accounts.create_api_token(user, "fuzzing")
        db.session.commit()
        return token.id, plain

    def headers(self) -> dict:
        revoked = db.session.execute(sa.select(ApiToken.revoked_at).where(ApiToken.id == self.token_id)).scalar()
        if revoked is not None:
            self.token_id, self.plain = self._new(db.session.get(User, self.user_id))
        db.session.rollback()
        return {"Authorization": f"Bearer {self.plain}"}


#: path parameter → a value naming something that exists in this test's world
KNOWN: dict[str, object] = {}
#: the same for operations that delete or withdraw: they get spares, so that the rest keep their targets
SPARE: dict[str, object] = {}


def _destroys(operation) -> bool:
    return operation.method.upper() == "DELETE" or operation.path.endswith(("/revoke", "/leave", "/cancel"))


def _sometimes(usual: st.SearchStrategy, spiked: list) -> st.SearchStrategy:
    """``usual``, or — one time in four — one of the ``spiked`` variants."""
    if not spiked:
        return usual
    return st.integers(0, 3).flatmap(lambda roll: st.sampled_from(spiked) if roll == 0 else usual)


def _spiked(values: dict) -> list[dict]:
    """``values`` with one field swapped for a hostile value of its type."""
    spiked = [{**values, key: value} for key, old in values.items() if isinstance(old, str) for value in HOSTILE_TEXT]
    return spiked + [{**values, key: value} for key, old in values.items()
                     if isinstance(old, int) and not isinstance(old, bool) for value in HOSTILE_NUMBERS]


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the cases aim at things that exist, so that the body and query reach the use case behind
    the 404; the other half keep the generated values; some get a hostile value. Deleting and
    withdrawing always aim at the spares (small generated ids would otherwise hit the world's own post
    or invite and leave nothing to test)."""
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    hostile = _spiked(path_parameters)
    if _destroys(context.operation):
        known = {**KNOWN, **SPARE}
        spare = {**path_parameters, **{name: known[name] for name in path_parameters if name in known}}
        return _sometimes(st.just(spare), hostile)
    real = {name: KNOWN[name] for name in path_parameters if name in KNOWN}
    usual = st.sampled_from([path_parameters, {**path_parameters, **real}]) if real else st.just(path_parameters)
    return _sometimes(usual, hostile)


@schemathesis.hook
def flatmap_body(context, body):
    """One JSON body in four gets one of its fields swapped for a hostile value."""
    if not isinstance(body, dict):
        return st.just(body)
    return _sometimes(st.just(body), _spiked(body))


@pytest.fixture
def bearer():
    world = make_busy_world()
    spares = world["spares"]
    KNOWN.clear()
    KNOWN.update({
        "slug": world["community"].slug, "token": world["invite"].token, "invite_id": world["invite"].id,
        "post_id": world["post"].id, "comment_id": world["comment"].id, "user_id": world["members"][0].id,
        "point_id": world["point"].id, "supplier_id": world["supplier"].id, "product_id": world["product"].id,
        "variant_id": world["product"].variants[0].id, "tag_id": world["tags"][0].id,
        "offer_id": world["offer"].id, "group_buy_id": world["group_buy"].id,
        "plan_id": world["plan"].id, "subscription_id": world["subscription"].id,
        "order_id": world["order"].id, "draw_id": world["draw"].id,
    })
    SPARE.clear()
    SPARE.update({"post_id": spares["post"].id, "comment_id": spares["comment"].id,
                  "invite_id": spares["invite"].id, "offer_id": spares["offer"].id,
                  "group_buy_id": spares["group_buy"].id, "subscription_id": spares["subscription"].id,
                  "token_id": Bearer(world["user"]).token_id})
    return Bearer(world["user"])


@pytest.fixture
def api_schema(app, bearer):
    return isolated(schemathesis.openapi.from_wsgi, "/api/v1/openapi.json", app,
                    config=schemathesis.Config.from_dict(CONFIG))


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4.32 renames each sub-test through ``node._nodeid``, which pytest 9 no longer has."""
    request.node._nodeid = request.node.nodeid


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case, bearer, tracebacks):
    tracebacks.last = ""
    headers = bearer.headers()
    try:
        response = isolated(case.call, headers=headers)
    except Exception as error:  # escaped every error handler: in production, a bare 500
        pytest.fail(f"{case.method} {case.formatted_path} raised {type(error).__name__}: {error}\n"
                    f"Reproduce with:\n    {case.as_curl_command(headers=headers)}", pytrace=False)
    if response.status_code >= 500:
        print(tracebacks.last)  # beside schemathesis's curl command to reproduce it
    case.validate_response(response, checks=[not_a_server_error])
