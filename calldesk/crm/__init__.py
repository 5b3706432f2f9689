"""CRM adapters: one httpx adapter per vendor, the shared HTTP policy and the CrmError tree.

Build adapters with ``make_adapter(account, secret, client, audit=..., rate_observer=...)``;
every adapter satisfies ``CallAdapter`` and raises only ``CrmError`` subclasses.
"""

from calldesk.crm._bounds import Answer, HttpLimits, RateInfo
from calldesk.crm._http import RequestGate
from calldesk.crm._origin import DEFAULT_BASE_URLS, validate_base_url
from calldesk.crm.adapter import (
    CLOCK_SKEW,
    AdapterContext,
    CallAdapter,
    ProgressCallback,
    Recovery,
)
from calldesk.crm.errors import (
    AuthError,
    CertificateError,
    CrmError,
    MalformedResponse,
    NotFound,
    RateLimited,
    Rejected,
    ServerError,
    TransportError,
    Unsupported,
)
from calldesk.crm.factory import make_adapter

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_BASE_URLS",
    "AdapterContext",
    "Answer",
    "AuthError",
    "CallAdapter",
    "CertificateError",
    "CrmError",
    "HttpLimits",
    "MalformedResponse",
    "NotFound",
    "ProgressCallback",
    "RateInfo",
    "RateLimited",
    "Recovery",
    "Rejected",
    "RequestGate",
    "ServerError",
    "TransportError",
    "Unsupported",
    "make_adapter",
    "validate_base_url",
]
