"""Serving with gunicorn from the `serve` command (the same as `gunicorn wsgi:app`)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.config import Config

from kinabase_m365.app import create_app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app()


def serve(host: str, port: int, workers: int) -> None:
    """Serve the app with gunicorn until interrupted."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        # Entra gives up on a request after about 60 s; answer or fail before it does.
        "timeout": 60,
        # gunicorn's longest request line, so that the service answers URLs over its own
        # limit (scim_server.resources.request_limits) with 414 and a SCIM body.
        "limit_request_line": 8190,
    }
    # gunicorn 25+ opens a control socket at one fixed path per user, which a second server on
    # the same machine would fight over; the service does not use it.
    if "control_socket_disable" in Config().settings:
        options["control_socket_disable"] = True
    _Gunicorn(options).run()
