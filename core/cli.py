"""Commands that belong to no domain: the RQ worker (with the periodic jobs scheduled in RQ) and the
in-process scheduler tick."""

from __future__ import annotations

import click
from flask import Flask, current_app


def register_cli(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True)
    def serve(host: str, port: int) -> None:
        """Flask's server, with the in-process scheduler when there is no Redis (the embedded default)."""
        from werkzeug.serving import run_simple

        from core.jobs import start_inprocess_scheduler

        app_obj = current_app._get_current_object()
        if app_obj.config["JOBS_BACKEND"] == "inprocess":
            start_inprocess_scheduler(app_obj)
        click.echo(f"Serving Tuan at http://{host}:{port}/ (Ctrl+C to stop)")
        run_simple(host, port, app_obj, threaded=True, use_reloader=False)

    @app.cli.command("worker")
    @click.option("--queue", "-q", "queues", multiple=True, default=["default", "email"],
                  show_default=True, help="Queues to work, in priority order.")
    @click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
    def worker(queues: tuple[str, ...], burst: bool) -> None:
        """Run an RQ worker with RQ's scheduler and the periodic jobs (RQ's cron scheduler; needs REDIS_URL).
        With --burst, the periodic jobs that are due are enqueued once, then the queues are drained."""
        from core.jobs import work

        if not current_app.config["REDIS_URL"]:
            raise click.ClickException("Set REDIS_URL to run workers; without it jobs run in-process.")
        work(current_app._get_current_object(), list(queues), burst=burst)
