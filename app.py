"""Tuan's application factory: a short list of register_* calls. Nothing runs at import time."""

from __future__ import annotations

import logging

from flask import Flask

#: sweepers that catch whatever a scheduled job missed: (job path, every N seconds). The in-process
#: scheduler runs them in the embedded default; with Redis, `flask worker` schedules them in RQ (core.jobs).
PERIODIC_JOBS = [("groupbuy.jobs:sweep_due_offers", 60), ("groupbuy.jobs:expire_overdue_balances", 300),
                 ("launches.jobs:post_due_reveals", 60), ("launches.hold_jobs:expire_due_holds", 60),
                 ("launches.hold_payment_jobs:expire_unpaid_card_orders", 60),
                 ("launches.raffle_jobs:sweep_raffles", 60), ("launches.fanout:sweep_announcements", 60),
                 ("subscriptions.jobs:run_due_cycles", 60),
                 ("subscriptions.jobs:retry_due_charges", 60), ("referral.draw_jobs:sweep_due_draws", 60),
                 ("referral.jobs:pay_overdue_referrals", 60)]


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config)
    register_extensions(app)
    register_models()
    register_blueprints(app)
    register_templates(app)
    register_error_handlers(app)
    register_cli(app)
    register_shortcuts(app)
    return app


def register_config(app: Flask, overrides: dict | None) -> None:
    from core.config import from_environment

    app.config.update(from_environment())
    app.config["PERIODIC_JOBS"] = PERIODIC_JOBS
    app.config.update(overrides or {})
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from accounts.auth import register_auth
    from core.db import register_commit_boundary
    from core.extensions import api, babel, csrf, db, limiter, login_manager, migrate
    from core.i18n import select_locale, select_timezone
    from core.validation import register_input_guard

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True,
                     compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    app.config.setdefault("API_SPEC_OPTIONS", {}).update({
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A personal API token (tuan_…) from your profile"},
            "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
        }},
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    })
    api.init_app(app)
    register_input_guard(app)
    register_auth(app)
    register_commit_boundary(app)


def register_models() -> None:
    """Import every models module so that metadata (and Alembic) sees all tables."""
    import accounts.models  # noqa: F401
    import core.mail  # noqa: F401
    import core.notify  # noqa: F401
    import groupbuy.models  # noqa: F401
    import launches.models  # noqa: F401
    import orders.models  # noqa: F401
    import payments.models  # noqa: F401
    import referral.models  # noqa: F401
    import shopkeeper.models  # noqa: F401
    import subscriptions.models  # noqa: F401
    import supplier.models  # noqa: F401

    register_signal_receivers()


def register_signal_receivers() -> None:
    """Signal receivers connect on import: imported here, they listen wherever the app runs (a request,
    a job in a worker, a command)."""
    import groupbuy.fulfilment  # noqa: F401
    import groupbuy.settlement  # noqa: F401
    import launches.settlement  # noqa: F401
    import referral.checkout  # noqa: F401
    import referral.invites  # noqa: F401
    import referral.settlement  # noqa: F401
    import subscriptions.billing  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from accounts import api as accounts_api
    from accounts import views as accounts_views
    from core import notify_views, uploads
    from core.extensions import api
    from groupbuy import api as groupbuy_api
    from groupbuy import fulfilment_views
    from groupbuy import views as groupbuy_views
    from launches import api as launches_api
    from launches import buy_api, buy_views, raffle_api, raffle_views  # noqa: F401  (buy_views: pages on launches.bp)
    from launches import views as launches_views
    from orders import api as orders_api
    from orders import earnings_api, earnings_views
    from orders import views as orders_views
    from payments import views as payments_views
    from referral import api as referral_api
    from referral import credit_views, growth_views  # noqa: F401  (credit_views: routes on referral.views.bp)
    from referral import views as referral_views
    from shopkeeper import api as shopkeeper_api
    from shopkeeper import feed_api, feed_views, messages_api, messages_views
    from shopkeeper import views as shopkeeper_views
    from subscriptions import api as subscriptions_api
    from subscriptions import forecast_api, forecast_views
    from subscriptions import views as subscriptions_views
    from supplier import api as supplier_api
    from supplier import demand_api
    from supplier import views as supplier_views

    app.add_url_rule("/", endpoint="home", view_func=shopkeeper_views.home)
    app.add_url_rule("/healthz", endpoint="healthz", view_func=lambda: {"status": "ok"})
    for blueprint in (uploads.bp, accounts_views.bp, supplier_views.bp, shopkeeper_views.bp, feed_views.bp,
                      messages_views.bp, groupbuy_views.bp, payments_views.bp, orders_views.bp, notify_views.bp,
                      fulfilment_views.bp, earnings_views.bp, launches_views.bp, raffle_views.bp,
                      forecast_views.bp, subscriptions_views.bp, referral_views.bp,
                      growth_views.bp):
        app.register_blueprint(blueprint)
    for blueprint in (accounts_api.blp, supplier_api.blp, shopkeeper_api.blp, feed_api.blp, messages_api.blp,
                      groupbuy_api.blp, demand_api.blp, orders_api.blp, earnings_api.blp, launches_api.blp,
                      buy_api.blp, raffle_api.blp, subscriptions_api.blp, forecast_api.blp, referral_api.blp):
        api.register_blueprint(blueprint)


def register_templates(app: Flask) -> None:
    from core.templating import register_template_helpers

    register_template_helpers(app)


def register_error_handlers(app: Flask) -> None:
    from core.errors import register_error_handlers as register

    register(app)


def register_shortcuts(app: Flask) -> None:
    """WSGI middleware answering the hottest requests before Flask routes them (they change no answer)."""
    from launches.sold_out_shortcut import register_sold_out_shortcut

    register_sold_out_shortcut(app)


def register_cli(app: Flask) -> None:
    from core.cli import register_cli as register_core_cli
    from demo import register_demo_cli
    from groupbuy import demand_cli
    from groupbuy import views as groupbuy_views

    register_core_cli(app)
    register_demo_cli(app)
    demand_cli.register(groupbuy_views.bp)  # in the blueprint's `flask groupbuy` group
