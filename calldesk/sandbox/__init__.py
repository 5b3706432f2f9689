"""Sandbox CRMs: a Starlette app that behaves like the Apollo, Close, Pipedrive and Buildr APIs.

``create_app(config)`` builds the ASGI app (vendors under ``/apollo``, ``/close``, ``/pipedrive``,
``/buildr``; controls under ``/_sandbox``); ``SandboxServer`` runs it on a free local port and
``serve()`` runs it in the foreground. ``SANDBOX_KEYS`` holds the credentials it accepts.
"""

from calldesk.sandbox.app import Sandbox, create_app
from calldesk.sandbox.config import APOLLO_PLAIN_KEY, SANDBOX_KEYS, SandboxConfig
from calldesk.sandbox.faults import Faults, FaultSettings
from calldesk.sandbox.server import SandboxServer, serve

__all__ = [
    "APOLLO_PLAIN_KEY",
    "SANDBOX_KEYS",
    "FaultSettings",
    "Faults",
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
    "create_app",
    "serve",
]
