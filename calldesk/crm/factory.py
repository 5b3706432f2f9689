"""``make_adapter``: the one way to build a vendor adapter for an account."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import httpx

from calldesk.crm import apollo, buildr, close, pipedrive
from calldesk.crm._bounds import HttpLimits
from calldesk.crm._http import AuditSink, Clock, RateObserver, RequestGate
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
    gate: RequestGate | None = None,
    limits: HttpLimits | None = None,
) -> CallAdapter:
    """Build the adapter for ``account`` on the caller's long-lived ``client``.

    ``audit`` receives one ``AuditEntry`` per request (secrets redacted); ``rate_observer`` one
    ``RateInfo`` per response; ``clock`` gives aware UTC "now" (token expiry, daily resets).
    ``token_url`` is Buildr's OAuth token endpoint (default ``<base_url>/oauth/token``).
    ``gate`` is the account's pacer: give the sync engine's, so reads wait for a 429 block too.
    ``limits`` bound every request (response sizes, deadline, address length).
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
        gate=gate,
        limits=limits or HttpLimits(),
    )
    return _BUILDERS[account.vendor](context)
