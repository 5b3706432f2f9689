"""Sandbox configuration and the fixed credentials the sandbox CRMs accept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from calldesk.domain.model import Vendor

APOLLO_MASTER_KEY = "sandbox-apollo-master"
APOLLO_PLAIN_KEY = "sandbox-apollo-plain"
"""An Apollo key that is not a master key: phone-call endpoints answer 403 ``API_INACCESSIBLE``."""
CLOSE_API_KEY = "sandbox-close-key"
PIPEDRIVE_API_TOKEN = "sandbox-pipedrive-token"
BUILDR_CLIENT_ID = "sandbox-buildr-client"
BUILDR_CLIENT_SECRET = "sandbox-buildr-secret"

SANDBOX_KEYS: Mapping[Vendor, str] = MappingProxyType(
    {
        Vendor.APOLLO: APOLLO_MASTER_KEY,
        Vendor.CLOSE: CLOSE_API_KEY,
        Vendor.PIPEDRIVE: PIPEDRIVE_API_TOKEN,
        Vendor.BUILDR: f"{BUILDR_CLIENT_ID}:{BUILDR_CLIENT_SECRET}",
    }
)
"""The secret an account needs per vendor (Buildr: ``client_id:client_secret``)."""


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How a sandbox is built.

    ``seed`` drives the sample data and every fault decision; ``calls_per_vendor`` sample calls
    are spread over the ``history_days`` before ``now`` (default: the current hour).
    ``recordings_dir`` receives uploaded recordings (a temporary directory when None).
    ``buildr_token_ttl`` is the lifetime in seconds of Buildr access tokens.
    """

    seed: int = 20240601
    calls_per_vendor: int = 300
    recordings_dir: Path | None = None
    buildr_token_ttl: float = 3600.0
    history_days: int = 28
    now: datetime | None = None
