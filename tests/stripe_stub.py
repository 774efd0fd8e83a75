"""A local stand-in for Stripe's API, for stripe-python to talk to over real HTTP on 127.0.0.1.

It implements the calls the gateway makes — customers, PaymentIntents (create, confirm, cancel,
retrieve), SetupIntents, refunds — with Stripe's shapes and status codes: form-encoded requests,
JSON objects with ``id``/``object``/``status``…, card errors as 402 with ``error.code`` and
``decline_code`` and the intent attached, ``Idempotency-Key`` honoured (the same key replays the first
answer; the same key with other parameters is an ``idempotency_error``). Every request is recorded.

Tests steer it: ``decline(card_or_customer, "insufficient_funds")``, ``require_authentication(…)``,
``accept(…)``, ``fail_next(500)``, ``hang_next(seconds)``; ``event(type, object_id)`` builds the webhook
event Stripe would send about an object as it is now (its ``payment_method`` an id, as events show it).

A request with ``expand[]=payment_method`` gets the intent's ``payment_method`` as a PaymentMethod object
with ``card.fingerprint``; without it, the id. ``fingerprints[pm_id] = "…"`` says which card a payment
method is (two ids may share one fingerprint: the same card saved twice); by default each id is its own
card, with a fingerprint derived from the id.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2025-10-29.clover"
_DECLINES = {
    "card_declined": ("card_declined", "generic_decline", "Your card was declined."),
    "insufficient_funds": ("card_declined", "insufficient_funds", "Your card has insufficient funds."),
    "expired_card": ("expired_card", None, "Your card has expired."),
    "authentication_required": ("authentication_required", "authentication_required",
                                "Your card was declined. This transaction requires authentication."),
}
_CONFIRMABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}
_TEST_CARDS = {"pm_card_visa": ("visa", "4242"), "pm_card_mastercard": ("mastercard", "4444")}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    params: dict
    idempotency_key: str | None


class StubError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(body)
        self.status = status
        self.body = body


def _invalid(message: str, code: str | None = None, param: str | None = None, status: int = 400) -> StubError:
    return StubError(status, {"error": {"type": "invalid_request_error", "message": message,
                                        **({"code": code} if code else {}), **({"param": param} if param else {})}})


def decode_form(body: str) -> dict:
    """``a[b][c]=1&d=2`` → ``{"a": {"b": {"c": "1"}}, "d": "2"}``, as Stripe reads stripe-python's bodies."""
    params: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        target = params
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return params


def _truthy(value) -> bool:
    return str(value).lower() == "true"


def expanded(params: dict) -> set[str]:
    """The fields a request asks to expand (``expand[0]=…`` from stripe-python, ``expand[]=…`` from curl)."""
    expand = params.get("expand")
    if isinstance(expand, dict):
        return set(expand.values())
    return {expand} if expand else set()


def default_fingerprint(payment_method: str) -> str:
    """Each payment method its own card unless a test says otherwise: 16 characters, like Stripe's."""
    return hashlib.sha256(payment_method.encode()).hexdigest()[:16]


class StripeStub:
    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.objects: dict[str, dict] = {}
        self.rules: dict[str, str] = {}
        #: payment method id → its card's fingerprint (unlisted: ``default_fingerprint``)
        self.fingerprints: dict[str, str] = {}
        self._answers: dict[str, tuple[tuple, int, dict]] = {}
        self._faults: list[tuple[str, float]] = []
        self._ids = itertools.count(1)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                stub._serve(self, "GET")

            def do_POST(self):
                stub._serve(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- life and steering -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> StripeStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def decline(self, target: str, code: str = "card_declined") -> None:
        """Charges on this payment method or customer are declined (``card_declined``, ``insufficient_funds``,
        ``expired_card``)."""
        self.rules[target] = code

    def require_authentication(self, target: str) -> None:
        """Off-session charges fail with ``authentication_required``; on-session ones need 3-D Secure."""
        self.rules[target] = "authentication_required"

    def accept(self, target: str) -> None:
        self.rules.pop(target, None)

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        self._faults.extend([("status", status)] * times)

    def hang_next(self, seconds: float) -> None:
        """The next request gets no answer for ``seconds`` (then the connection closes)."""
        self._faults.append(("hang", seconds))

    def payment_method(self, payment_method: str) -> dict:
        """The PaymentMethod object Stripe shows for ``payment_method`` (a card)."""
        brand, last4 = _TEST_CARDS.get(payment_method, ("visa", "4242"))
        fingerprint = self.fingerprints.get(payment_method) or default_fingerprint(payment_method)
        return {"id": payment_method, "object": "payment_method", "type": "card",
                "card": {"brand": brand, "last4": last4, "fingerprint": fingerprint}}

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects.values() if o["object"] == kind]

    def event(self, kind: str, object_id: str) -> dict:
        """The event Stripe would send now about ``object_id``."""
        with self.lock:
            return {"id": f"evt_{next(self._ids):06d}", "object": "event", "api_version": API_VERSION,
                    "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
                    "request": {"id": None, "idempotency_key": None}, "type": kind,
                    "data": {"object": copy.deepcopy(self.objects[object_id])}}

    # --- HTTP --------------------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        split = urlsplit(handler.path)
        params = decode_form(body if method == "POST" else split.query)
        key = handler.headers.get("Idempotency-Key")
        with self.lock:
            self.requests.append(Recorded(method, split.path, params, key))
            fault = self._faults.pop(0) if self._faults else None
        if self.latency:
            time.sleep(self.latency)
        if fault and fault[0] == "hang":
            time.sleep(fault[1])
            handler.close_connection = True
            return
        if fault:
            return self._send(handler, fault[1], {"error": {"type": "api_error",
                                                            "message": "An unknown error occurred."}})
        if not (handler.headers.get("Authorization") or "").startswith("Bearer sk_"):
            return self._send(handler, 401, {"error": {"type": "invalid_request_error",
                                                       "message": "Invalid API Key provided."}})
        status, answer, replayed = self._answer(method, split.path, params, key)
        self._send(handler, status, answer, replayed)

    def _answer(self, method: str, path: str, params: dict, key: str | None) -> tuple[int, dict, bool]:
        with self.lock:
            if method == "POST" and key and key in self._answers:
                request, status, answer = self._answers[key]
                if request != (path, json.dumps(params, sort_keys=True)):
                    return 400, {"error": {"type": "idempotency_error", "message": (
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        "different request.")}}, False
                return status, copy.deepcopy(answer), True
            try:
                status, answer = 200, self._expand(self._route(method, path, params), params)
            except StubError as error:
                status, answer = error.status, error.body
            if method == "POST" and key:
                self._answers[key] = ((path, json.dumps(params, sort_keys=True)), status, copy.deepcopy(answer))
            return status, answer, False

    def _expand(self, answer: dict, params: dict) -> dict:
        if "payment_method" in expanded(params) and isinstance(answer.get("payment_method"), str):
            answer["payment_method"] = self.payment_method(answer["payment_method"])
        return answer

    @staticmethod
    def _send(handler, status: int, body: dict, replayed: bool = False) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("Request-Id", f"req_stub{time.monotonic_ns()}")
            if replayed:
                handler.send_header("Idempotent-Replayed", "true")
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # --- the API -----------------------------------------------------------------------------------
    def _route(self, method: str, path: str, params: dict) -> dict:
        parts = path.strip("/").split("/")
        if parts[0] != "v1" or len(parts) < 2:
            raise _invalid(f"Unrecognized request URL ({method}: {path}).", status=404)
        resource, rest = parts[1], parts[2:]
        if method == "POST" and resource == "customers" and not rest:
            return self._store("cus", {"object": "customer", "email": params.get("email"),
                                       "name": params.get("name"), "metadata": params.get("metadata", {}),
                                       "invoice_settings": {"default_payment_method": None}})
        if method == "POST" and resource == "refunds" and not rest:
            return self._refund(params)
        if method == "GET" and resource == "payment_methods" and len(rest) == 1:
            if not rest[0].startswith("pm_"):
                raise _invalid(f"No such PaymentMethod: '{rest[0]}'", "resource_missing", status=404)
            return self.payment_method(rest[0])
        if resource not in ("payment_intents", "setup_intents", "refunds"):
            raise _invalid(f"Unrecognized request URL ({method}: {path}).", status=404)
        if method == "POST" and not rest:
            return self._create_intent(resource, params)
        obj = self.objects.get(rest[0]) if rest else None
        if obj is None:
            raise _invalid(f"No such {resource[:-1]}: '{rest[0] if rest else ''}'", "resource_missing",
                           "id", status=404)
        if method == "GET" and len(rest) == 1:
            return copy.deepcopy(obj)
        if method == "POST" and rest[1:] == ["confirm"]:
            if obj["status"] not in _CONFIRMABLE:
                raise _invalid(f"You cannot confirm this {obj['object']} because it has a status of "
                               f"{obj['status']}.", "payment_intent_unexpected_state")
            if params.get("payment_method"):
                obj["payment_method"] = params["payment_method"]
            return self._confirm(obj, params)
        if method == "POST" and rest[1:] == ["cancel"]:
            if obj["status"] in ("succeeded", "canceled"):
                raise _invalid(f"You cannot cancel this {obj['object']} because it has a status of "
                               f"{obj['status']}.", "payment_intent_unexpected_state")
            obj.update(status="canceled", canceled_at=int(time.time()),
                       cancellation_reason=params.get("cancellation_reason", "abandoned"), next_action=None)
            return copy.deepcopy(obj)
        raise _invalid(f"Unrecognized request URL ({method}: {path}).", status=404)

    def _store(self, prefix: str, obj: dict) -> dict:
        obj_id = f"{prefix}_stub{next(self._ids):06d}"
        obj.update(id=obj_id, created=int(time.time()), livemode=False)
        self.objects[obj_id] = obj
        return copy.deepcopy(obj)

    def _create_intent(self, resource: str, params: dict) -> dict:
        common = {"customer": params.get("customer"), "payment_method": params.get("payment_method"),
                  "metadata": params.get("metadata", {}), "status": "requires_payment_method",
                  "next_action": None, "cancellation_reason": None, "canceled_at": None,
                  "automatic_payment_methods": params.get("automatic_payment_methods"),
                  "payment_method_types": ["card"]}
        if params.get("payment_method"):
            common["status"] = "requires_confirmation"
        if resource == "setup_intents":
            obj = self._store("seti", {"object": "setup_intent", "usage": params.get("usage", "off_session"),
                                       "last_setup_error": None, **common})
        else:
            try:
                amount = int(params.get("amount", ""))
            except ValueError:
                raise _invalid("Missing required param: amount.", "parameter_missing", "amount") from None
            if amount < 1:
                raise _invalid("This value must be greater than or equal to 1.", "parameter_invalid_integer",
                               "amount")
            if not params.get("currency"):
                raise _invalid("Missing required param: currency.", "parameter_missing", "currency")
            if _truthy(params.get("off_session")) and not _truthy(params.get("confirm")):
                raise _invalid("off_session can only be used with confirm=true.", "parameter_invalid_string",
                               "off_session")
            obj = self._store("pi", {"object": "payment_intent", "amount": amount, "amount_received": 0,
                                     "currency": params["currency"], "capture_method": "automatic",
                                     "confirmation_method": "automatic", "latest_charge": None,
                                     "setup_future_usage": params.get("setup_future_usage"),
                                     "last_payment_error": None, **common})
        real = self.objects[obj["id"]]
        real["client_secret"] = f"{obj['id']}_secret_stub{next(self._ids):06d}"
        if _truthy(params.get("confirm")):
            return self._confirm(real, params)
        return copy.deepcopy(real)

    def _confirm(self, obj: dict, params: dict) -> dict:
        method = obj.get("payment_method")
        if not method:
            raise _invalid(f"You cannot confirm this {obj['object']} because it's missing a payment method.",
                           "payment_intent_unexpected_state")
        rule = self.rules.get(method) or self.rules.get(obj.get("customer") or "")
        is_payment = obj["object"] == "payment_intent"
        charge = self._charge(obj) if is_payment else None
        if rule == "authentication_required" and not _truthy(params.get("off_session")):
            obj.update(status="requires_action", next_action={"type": "use_stripe_sdk", "use_stripe_sdk": {}})
            return copy.deepcopy(obj)
        if rule:
            code, decline_code, message = _DECLINES[rule]
            error = {"type": "card_error", "code": code, "message": message,
                     "payment_method": self.payment_method(method),
                     "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
                     **({"decline_code": decline_code} if decline_code else {})}
            obj.update(status="requires_payment_method", next_action=None,
                       **{"last_payment_error" if is_payment else "last_setup_error": error})
            if charge:
                charge.update(status="failed", failure_code=code)
            body = {**error, ("payment_intent" if is_payment else "setup_intent"): copy.deepcopy(obj)}
            if charge:
                body["charge"] = charge["id"]
            raise StubError(402, {"error": body})
        obj.update(status="succeeded", next_action=None)
        if is_payment:
            obj.update(amount_received=obj["amount"], last_payment_error=None)
            charge.update(status="succeeded", paid=True)
        else:
            obj["last_setup_error"] = None
        return copy.deepcopy(obj)

    def _charge(self, intent: dict) -> dict:
        charge = self._store("ch", {"object": "charge", "amount": intent["amount"], "amount_refunded": 0,
                                    "currency": intent["currency"], "payment_intent": intent["id"],
                                    "customer": intent.get("customer"), "paid": False, "refunded": False,
                                    "status": "pending", "payment_method": intent.get("payment_method")})
        intent["latest_charge"] = charge["id"]
        return self.objects[charge["id"]]

    def _refund(self, params: dict) -> dict:
        intent = self.objects.get(params.get("payment_intent") or "")
        if intent is None or intent["object"] != "payment_intent":
            raise _invalid("No such payment_intent.", "resource_missing", "payment_intent", status=404)
        if intent["status"] != "succeeded":
            raise _invalid("This PaymentIntent does not have a successful charge to refund.",
                           "charge_not_refundable")
        charge = self.objects[intent["latest_charge"]]
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount < 1 or amount > charge["amount"] - charge["amount_refunded"]:
            raise _invalid(f"Refund amount ({amount}) is greater than unrefunded amount on charge.",
                           "amount_too_large", "amount")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        return self._store("re", {"object": "refund", "amount": amount, "charge": charge["id"],
                                  "payment_intent": intent["id"], "currency": intent["currency"],
                                  "status": "succeeded", "reason": params.get("reason"),
                                  "metadata": params.get("metadata", {})})
