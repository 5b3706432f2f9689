"""The sandbox ASGI app: the four vendor CRMs under their prefixes plus ``/_sandbox`` controls.

``create_app(config)`` returns a Starlette app whose ``app.state.sandbox`` is the ``Sandbox``
(per-vendor APIs and data, faults, request counters). Control endpoints, for tests that drive a
sandbox in another process: ``GET/POST /_sandbox/faults``, ``GET /_sandbox/state``,
``POST /_sandbox/reset`` and ``POST /_sandbox/revoke_tokens`` (Buildr access tokens).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from calldesk.domain.model import Vendor
from calldesk.sandbox.apollo import ApolloApi
from calldesk.sandbox.base import VendorApi, VendorGate
from calldesk.sandbox.buildr import BuildrApi
from calldesk.sandbox.close import CloseApi
from calldesk.sandbox.config import SandboxConfig
from calldesk.sandbox.faults import Faults
from calldesk.sandbox.limits import RequestCounter
from calldesk.sandbox.pipedrive import PipedriveApi


class Sandbox:
    """Everything one sandbox holds: vendor APIs, their gates (counters, buckets) and faults."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.recordings_dir = self.config.recordings_dir or Path(
            tempfile.gettempdir(), f"calldesk-sandbox-recordings-{id(self):x}"
        )
        self.faults = Faults(seed=self.config.seed)
        self.buildr = BuildrApi(self.config)
        self.apis: dict[Vendor, VendorApi] = {
            Vendor.APOLLO: ApolloApi(self.config),
            Vendor.CLOSE: CloseApi(self.config),
            Vendor.PIPEDRIVE: PipedriveApi(self.config, self.recordings_dir),
            Vendor.BUILDR: self.buildr,
        }
        self.counters = {vendor: RequestCounter() for vendor in Vendor}
        self.gates = {
            vendor: VendorGate(api, self.faults, self.counters[vendor])
            for vendor, api in self.apis.items()
        }

    def reset(self) -> None:
        """Back to the seeded start: fresh data, no faults, zero counters, full buckets."""
        self.faults.clear()
        for vendor, api in self.apis.items():
            api.reset()
            self.gates[vendor].reset()
            counter = self.counters[vendor]
            counter.__init__()  # type: ignore[misc]
        self.buildr.revoke_tokens()

    def revoke_tokens(self) -> None:
        """Invalidate every Buildr access token."""
        self.buildr.revoke_tokens()

    def state(self) -> dict[str, Any]:
        """Counts per vendor: calls held, recordings with sizes, requests (incl. 429s)."""
        return {
            "vendors": {
                vendor.value: {
                    "calls": api.call_count(),
                    "recordings": api.recordings(),
                    "requests": self.counters[vendor].to_json(),
                }
                for vendor, api in self.apis.items()
            }
        }


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """Build the sandbox app: the four vendor prefixes plus ``/_sandbox`` controls."""
    sandbox = Sandbox(config)

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                sandbox.faults.update_from_json(body)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(sandbox.faults.to_json())

    async def state(request: Request) -> Response:
        return JSONResponse(sandbox.state())

    async def reset(request: Request) -> Response:
        sandbox.reset()
        return JSONResponse(sandbox.state())

    async def revoke(request: Request) -> Response:
        sandbox.revoke_tokens()
        return JSONResponse({"revoked": True})

    routes = [
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        Route("/_sandbox/state", state, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/revoke_tokens", revoke, methods=["POST"]),
        *(Mount(f"/{vendor.value}", app=gate) for vendor, gate in sandbox.gates.items()),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app
