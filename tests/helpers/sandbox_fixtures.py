"""pytest fixtures for the sandbox CRMs: a live server on 127.0.0.1 and the vendor OpenAPI specs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from calldesk.domain.model import Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxConfig, SandboxServer


def _vendor_docs() -> Path:
    """The vendors' reference files: ``$CALLDESK_VENDOR_DOCS``, else ``shared/vendors`` beside the
    checkout (where CI puts it), else the development machine's ``/work/shared/vendors``."""
    override = os.environ.get("CALLDESK_VENDOR_DOCS")
    candidates = [Path(override)] if override else []
    candidates += [
        Path(__file__).resolve().parents[3] / "shared" / "vendors",
        Path("/work/shared/vendors"),
    ]
    for candidate in candidates:
        if (candidate / "openapi").is_dir():
            return candidate
    raise FileNotFoundError(
        "the vendors' OpenAPI files were not found; set CALLDESK_VENDOR_DOCS to shared/vendors"
    )


OPENAPI_FILES = {
    "apollo": "apollo-rest-api-openapi.json",
    "close": "close-openapi.yml",
    "pipedrive-v1": "pipedrive-v1-openapi.yml",
    "pipedrive-v2": "pipedrive-v2-openapi.yml",
}


@pytest.fixture
def sandbox_config(tmp_path: Path) -> SandboxConfig:
    """A small, fast sandbox (120 calls per vendor) with recordings under ``tmp_path``."""
    return SandboxConfig(seed=7, calls_per_vendor=120, recordings_dir=tmp_path / "recordings")


@pytest.fixture
def sandbox_server(sandbox_config: SandboxConfig) -> Iterator[SandboxServer]:
    """A running sandbox on a free 127.0.0.1 port: ``.url``, ``.base_url(v)``, ``.sandbox``."""
    with SandboxServer(sandbox_config) as server:
        yield server


@pytest.fixture
def sandbox_keys() -> dict[Vendor, str]:
    """The credentials the sandbox accepts, per vendor."""
    return dict(SANDBOX_KEYS)


def _load(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open() as handle:
        data: dict[str, Any] = yaml.load(handle, Loader=loader)
    return data


@pytest.fixture(scope="session")
def vendor_openapi() -> dict[str, dict[str, Any]]:
    """The vendors' OpenAPI documents, parsed once per session (keys as in ``OPENAPI_FILES``)."""
    docs = _vendor_docs()
    return {name: _load(docs / "openapi" / file) for name, file in OPENAPI_FILES.items()}
