"""Tenant tickets on the management routes: ``Authorization: Bearer <ticket>``."""

from collections.abc import Mapping

from billit_sync.tickets import TicketClaims, TicketKeyring, TicketScope, authorize, verify_ticket


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if not value or not value.lower().startswith("bearer "):
        return None
    return value[7:].strip() or None


def require_ticket(
    ticket: str | None,
    keys: TicketKeyring,
    *,
    now: float,
    tenant_id: str | None,
    scope: TicketScope,
) -> TicketClaims:
    """401 for a missing, forged or expired ticket; 403 for another tenant's or scope's."""
    claims = verify_ticket(ticket, keys, now=now)
    authorize(claims, tenant_id=tenant_id, scope=scope)
    return claims
