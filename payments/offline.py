"""The offline gateway: cash or transfer at pickup. Nothing is charged by machine; every payment waits
(PENDING) until the shopkeeper confirms it with ``services.mark_paid_offline``."""

from __future__ import annotations

from payments.gateway import GatewayResult
from payments.models import GatewayCustomer, Payment, PaymentStatus

_WAITING = GatewayResult(PaymentStatus.PENDING)


class OfflineGateway:
    name = "offline"

    def create_customer(self, user_id: int, email: str, name: str) -> str:
        return f"offline-user-{user_id}"

    def start_deposit(self, payment: Payment, customer: GatewayCustomer | None, setup_for_later: bool,
                      payment_method: str | None = None) -> GatewayResult:
        return _WAITING

    def charge_off_session(self, payment: Payment, customer: GatewayCustomer | None) -> GatewayResult:
        return _WAITING

    def retry_off_session(self, payment: Payment, customer: GatewayCustomer | None, attempt: int
                          ) -> GatewayResult:
        return _WAITING

    def confirm_on_session(self, payment: Payment, attempt: str, payment_method: str | None = None
                           ) -> GatewayResult:
        return _WAITING

    def refund(self, payment: Payment, original: Payment) -> GatewayResult:
        return _WAITING  # the shopkeeper hands the money back and confirms it

    def cancel(self, payment: Payment) -> GatewayResult:
        return GatewayResult(PaymentStatus.CANCELLED)

    def retrieve(self, payment: Payment) -> GatewayResult:
        return GatewayResult(payment.status)

    def card_fingerprint(self, payment_method_id: str) -> None:
        return None  # no cards offline
