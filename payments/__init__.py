"""Payments: the gateway protocol, offline and Stripe gateways, webhooks (issue #3 onward)."""
