"""``make_adapter``: the one way to build a vendor adapter for an account."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import httpx

from calldesk.crm import apollo, buildr, close, pipedrive
from calldesk.crm._http import AuditSink, Clock, RateObserver
from calldesk.crm.adapter import AdapterContext, CallAdapter
from calldesk.domain import Account, Vendor, utcnow

_BUILDERS: Mapping[Vendor, Callable[[AdapterContext], CallAdapter]] = MappingProxyType(
    {
        Vendor.APOLLO: apollo.build,
        Vendor.CLOSE: close.build,
        Vendor.PIPEDRIVE: pipedrive.build,
        Vendor.BUILDR: buildr.build,
    }
)


def make_adapter(
    account: Account,
    secret: str,
    client: httpx.AsyncClient,
    *,
    audit: AuditSink | None = None,
    rate_observer: RateObserver | None = None,
    clock: Clock = utcnow,
    token_url: str | None = None,
) -> CallAdapter:
    """Build the adapter for ``account`` on the caller's long-lived ``client``.

    ``audit`` receives one ``AuditEntry`` per request (secrets redacted); ``rate_observer`` one
    ``RateInfo`` per response; ``clock`` gives aware UTC "now" (token expiry, daily resets).
    ``token_url`` is Buildr's OAuth token endpoint (default ``<base_url>/oauth/token``).
    Raises ``ValueError`` if ``account.base_url`` is not an acceptable API origin.
    """
    context = AdapterContext(
        account=account,
        secret=secret,
        client=client,
        audit=audit,
        rate_observer=rate_observer,
        clock=clock,
        token_url=token_url,
    )
    return _BUILDERS[account.vendor](context)
