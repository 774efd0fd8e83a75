"""The API's own description, /api/v1/openapi.json, is what integrators build on: it must be valid
OpenAPI 3, list every route the services expose, say how to authenticate, and describe the errors
as they really come out: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

METHODS = {"get", "put", "post", "delete", "patch"}
#: routes under /api/v1 that describe the API rather than being part of it
DOC_ROUTES = {"/api/v1/openapi.json"}
#: operations anyone may call without credentials (none so far)
PUBLIC: set[tuple[str, str]] = set()
#: what each service exposes at the least, by package; the API may grow, it may not lose these
EXPECTED_PATHS = {
    # accounts
    "/api/v1/me", "/api/v1/me/tokens", "/api/v1/me/tokens/{token_id}",
    # catalog and taxonomy
    "/api/v1/tags", "/api/v1/tags/{tag_id}", "/api/v1/suppliers", "/api/v1/suppliers/{supplier_id}/products",
    "/api/v1/products/{product_id}", "/api/v1/products/{product_id}/variants", "/api/v1/variants/{variant_id}",
    # offers
    "/api/v1/suppliers/{supplier_id}/offers", "/api/v1/offers/{offer_id}", "/api/v1/offers/{offer_id}/publish",
    "/api/v1/offers/{offer_id}/cancel",
    # communities, invites, members
    "/api/v1/communities", "/api/v1/communities/{slug}", "/api/v1/communities/{slug}/pickup-points",
    "/api/v1/communities/{slug}/pickup-points/{point_id}", "/api/v1/communities/{slug}/invites",
    "/api/v1/invites/{invite_id}/revoke", "/api/v1/join/{token}", "/api/v1/communities/{slug}/me",
    "/api/v1/communities/{slug}/leave", "/api/v1/communities/{slug}/members",
    "/api/v1/communities/{slug}/members/{user_id}/tags",
    "/api/v1/communities/{slug}/members/{user_id}/recommendations",
    # feed
    "/api/v1/communities/{slug}/posts", "/api/v1/posts/{post_id}", "/api/v1/posts/{post_id}/pin",
    "/api/v1/posts/{post_id}/comments", "/api/v1/comments/{comment_id}", "/api/v1/posts/{post_id}/reactions",
    # messages
    "/api/v1/messages/threads", "/api/v1/messages/unread", "/api/v1/communities/{slug}/messages",
    "/api/v1/communities/{slug}/messages/{user_id}",
    # group buys and pledges
    "/api/v1/communities/{slug}/group-buys", "/api/v1/group-buys/{group_buy_id}",
    "/api/v1/group-buys/{group_buy_id}/cancel", "/api/v1/group-buys/{group_buy_id}/progress",
    "/api/v1/group-buys/{group_buy_id}/pledge",
    # growth (issue #6)
    "/api/v1/communities/{slug}/credit", "/api/v1/communities/{slug}/credit/orders/{order_id}/apply",
    "/api/v1/communities/{slug}/credit/auto-apply", "/api/v1/communities/{slug}/reviews",
    "/api/v1/products/{product_id}/reviews", "/api/v1/communities/{slug}/draws/{draw_id}",
}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation, item.get("parameters", []) + operation.get("parameters", [])


def resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_description_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_api_route_is_described(app, spec):
    routes = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.rule not in DOC_ROUTES
        for method in rule.methods & {m.upper() for m in METHODS}
    }
    described = {(path, method) for path, method, _operation, _parameters in operations(spec)}
    assert routes - described == set(), "routes missing from openapi.json"
    assert described - routes == set(), "openapi.json describes routes that do not exist"


def test_each_service_exposes_its_paths(spec):
    assert EXPECTED_PATHS - set(spec["paths"]) == set()


def test_every_operation_names_a_security_scheme(spec):
    schemes = spec["components"]["securitySchemes"]
    assert {"bearerAuth", "cookieAuth"} <= set(schemes)
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    for path, method, operation, _parameters in operations(spec):
        if (method, path) in PUBLIC:
            continue
        requirements = operation.get("security", spec.get("security"))
        assert requirements, f"{method.upper()} {path} documents no security"
        for requirement in requirements:
            assert requirement and set(requirement) <= set(schemes), f"{method.upper()} {path}: {requirement}"


def test_every_operation_turns_away_a_caller_without_credentials(client, spec):
    """What openapi.json says about security is true: no token, no session → 401 in the error shape."""
    for path, method, operation, parameters in operations(spec):
        if (method, path) in PUBLIC:
            continue
        url = path
        for parameter in parameters:
            if parameter["in"] == "path":
                value = "1" if parameter["schema"].get("type") == "integer" else "x"
                url = url.replace("{" + parameter["name"] + "}", value)
        response = client.open(url, method=method.upper(), json={} if "requestBody" in operation else None)
        assert response.status_code == 401, f"{method.upper()} {url} answered {response.status_code}"
        assert response.get_json()["error"]["code"] == "unauthorized"


def _is_error_shape(spec: dict, response: dict) -> bool:
    schema = resolve(spec, resolve(spec, response).get("content", {}).get("application/json", {}).get("schema", {}))
    error = resolve(spec, schema.get("properties", {}).get("error", {}))
    return {"code", "message", "fields"} <= set(error.get("properties", {}))


def test_every_operation_documents_when_it_refuses_input(spec):
    for path, method, operation, parameters in operations(spec):
        takes_input = "requestBody" in operation or any(p["in"] == "query" for p in parameters)
        if takes_input:
            assert "422" in operation["responses"], f"{method.upper()} {path} does not document 422"
        errors = {code for code in operation["responses"] if code.startswith("4") or code == "default"}
        assert errors, f"{method.upper()} {path} documents no error answer"


def test_every_error_answer_is_documented_in_the_shape_it_comes_out(spec):
    for path, method, operation, _parameters in operations(spec):
        for code, response in operation["responses"].items():
            if code.startswith("4") or code == "default":
                assert _is_error_shape(spec, response), f"{method.upper()} {path} {code}"
