"""Run the web service under gunicorn (`essgraph serve`).

Each gunicorn worker process builds its own app (no preloading: the query pool's pipes must
not be shared between processes) and so its own pool of `settings.query_workers` query
processes and its own result cache. Threaded workers (gthread) keep serving other requests
while one waits for a slow query; gunicorn's own timeout is set well above the query time
limit, which the pool enforces.

One web worker by default (`settings.web_workers`): the web process only parses requests and
copies answers (the queries run in the query workers), so a second one adds memory (a Python
with Flask, and a second set of query workers and cache) more than throughput on a small
machine.
"""

from __future__ import annotations

import math
from typing import Any

from gunicorn.app.base import BaseApplication

from .config import Settings

THREADS = 8


class _Gunicorn(BaseApplication):
    """gunicorn's Python API: options from our Settings, the app from create_app."""

    def __init__(self, settings: Settings, options: dict[str, Any]):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from .web import create_app

        return create_app(self.settings)


def gunicorn_options(settings: Settings, *, workers: int | None = None) -> dict[str, Any]:
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": workers or settings.web_workers,
        "worker_class": "gthread",
        "threads": THREADS,
        "timeout": math.ceil(settings.query_timeout) + 30,
        "graceful_timeout": math.ceil(settings.query_timeout) + 5,
        "preload_app": False,
        # GET queries travel in the request line; gunicorn's default (4094) is too short.
        "limit_request_line": 8190,
        # gunicorn >= 25 opens a control socket under $HOME by default; we do not use it.
        "control_socket_disable": True,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "essgraph",
    }


def serve(settings: Settings, *, workers: int | None = None) -> None:
    """Serve on settings.host:settings.port until interrupted; `workers` overrides
    settings.web_workers."""
    _Gunicorn(settings, gunicorn_options(settings, workers=workers)).run()
