"""Every DynamoDB key format of the service, in one place.

Layout of the integration table (``pk`` / ``sk``; ``gsi1pk`` / ``gsi1sk`` on index ``gsi1``):

=====================  ===========================================  ==========================
what                   pk                                           sk
=====================  ===========================================  ==========================
tenant profile         ``TENANT#{t}``                               ``PROFILE``
Billit connection      ``TENANT#{t}``                               ``CONNECTION``
settings               ``TENANT#{t}``                               ``SETTINGS``
import watermark       ``TENANT#{t}``                               ``WATERMARK#{party}#{entity}``
lease / lock           ``TENANT#{t}``                               ``LEASE#{name}``
webhook delivery       ``DELIVERY#{t}``                             ``DELIVERY#{sha256(key)}``
id mapping             ``TENANT#{t}#COMPANY#{party}#MAP#{entity}``  ``BILLIT#{id}`` and
                                                                    ``OUTSMART#{key}``
export ledger          ``TENANT#{t}#LEDGER``                        ``ROW#{row id}``
credit note pointer    ``TENANT#{t}#CREDIT_NOTE``                   ``ORDER#{billit order id}``
work order sighting    ``TENANT#{t}#SEEN``                          ``ROW#{row id}``
completed baseline     ``TENANT#{t}``                               ``COMPLETED_BASELINE``
OAuth state            ``OAUTH_STATE#{sha256(state)}``              ``OAUTH_STATE``
connect confirmation   ``OAUTH_CONFIRM#{sha256(id)}``               ``OAUTH_CONFIRM``
Billit company owner   ``BILLIT_PARTY#{environment}#{party}``       ``OWNER``
used single-use ticket ``USED_TICKET#{sha256(jti)}``                ``USED``
settings page session  ``UI_SESSION#{sha256(session id)}``          ``UI_SESSION``
=====================  ===========================================  ==========================

GSI ``gsi1`` (sparse):

- connection: ``gsi1pk = CONNECTION#{status}`` (only while connected or auth expired),
  ``gsi1sk = TENANT#{t}``: lists the tenants to sync without a scan;
- export ledger: ``gsi1pk = TENANT#{t}#ORDER#{billit order id}``, ``gsi1sk = ROW#{row id}``
  once an invoice exists: webhooks find the work order of a Billit order. A re-completion's
  credit note is a second Billit order of the same entry: its pointer item carries the same
  index key for the credit note's order id, so its webhooks find the entry too.

Sync-log table: ``pk = TENANT#{t}``, ``sk = LOG#{entry id}`` (entry ids sort by time).

Every key except the webhook delivery (``DELIVERY#`` first, for its IAM condition), the
OAuth state, the connect confirmation, the company owner (one Billit
company → the one tenant connected to it), the used ticket and the settings page session
starts with the validated tenant id. Components in the middle of a key may not contain ``#``
(so one key can never be read as another); the last component may, since nothing follows it.
"""

import hashlib
import re

from billit_sync.tenancy import validate_tenant_id

SEPARATOR = "#"
MAX_COMPONENT_LENGTH = 256
_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class InvalidKeyComponentError(ValueError):
    """A value cannot be part of a key (empty, too long, or a ``#`` in the middle)."""


def middle(value: str, what: str) -> str:
    """A key component followed by others: non-empty, bounded, no separator."""
    if not value or len(value) > MAX_COMPONENT_LENGTH or SEPARATOR in value:
        raise InvalidKeyComponentError(f"{what} must be 1-{MAX_COMPONENT_LENGTH} chars without '#'")
    return value


def last(value: str, what: str) -> str:
    """The final key component: non-empty and bounded (DynamoDB sort keys are <= 1 KiB)."""
    if not value or len(value) > MAX_COMPONENT_LENGTH:
        raise InvalidKeyComponentError(f"{what} must be 1-{MAX_COMPONENT_LENGTH} characters")
    return value


def name(value: str, what: str) -> str:
    """Internal names (lease names, entity kinds): lower-case, short, predictable."""
    if not _NAME_PATTERN.fullmatch(value):
        raise InvalidKeyComponentError(f"{what} must match {_NAME_PATTERN.pattern}")
    return value


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{validate_tenant_id(tenant_id)}"


PROFILE_SK = "PROFILE"
CONNECTION_SK = "CONNECTION"
SETTINGS_SK = "SETTINGS"


def connection_gsi1pk(status: str) -> str:
    return f"CONNECTION#{status}"


def connection_gsi1sk(tenant_id: str) -> str:
    return tenant_pk(tenant_id)


def tenant_id_from_connection_gsi1sk(value: str) -> str:
    prefix = "TENANT#"
    if not value.startswith(prefix):
        raise InvalidKeyComponentError("not a connection index key")
    return validate_tenant_id(value.removeprefix(prefix))


def watermark_sk(party_id: str, entity: str) -> str:
    return f"WATERMARK#{middle(party_id, 'party id')}#{name(entity, 'entity')}"


def lease_sk(lease_name: str) -> str:
    return f"LEASE#{name(lease_name, 'lease name')}"


def delivery_pk(tenant_id: str) -> str:
    """De-dup records have their own partitions (issue 14): the internet-facing ingestion
    function may write only keys starting ``DELIVERY#`` (an IAM ``dynamodb:LeadingKeys``
    condition), never a tenant's profile, connection or ledger."""
    return f"{DELIVERY_PK_PREFIX}{validate_tenant_id(tenant_id)}"


DELIVERY_PK_PREFIX = "DELIVERY#"


def delivery_sk(delivery_key: str) -> str:
    """Hashed: delivery keys come from outside and may be long."""
    return f"DELIVERY#{sha256_hex(last(delivery_key, 'delivery key'))}"


def mapping_pk(tenant_id: str, party_id: str, entity: str) -> str:
    company = middle(party_id, "party id")
    return f"{tenant_pk(tenant_id)}#COMPANY#{company}#MAP#{name(entity, 'entity')}"


MAPPING_BILLIT_PREFIX = "BILLIT#"
MAPPING_OUTSMART_PREFIX = "OUTSMART#"


def mapping_billit_sk(billit_id: str) -> str:
    return MAPPING_BILLIT_PREFIX + last(billit_id, "billit id")


def mapping_outsmart_sk(outsmart_key: str) -> str:
    return MAPPING_OUTSMART_PREFIX + last(outsmart_key, "outsmart key")


def ledger_pk(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#LEDGER"


def ledger_sk(row_id: str) -> str:
    return "ROW#" + last(row_id, "work order row id")


def sightings_pk(tenant_id: str) -> str:
    """When each work order was first seen ``Compleet`` (``store.sightings``)."""
    return f"{tenant_pk(tenant_id)}#SEEN"


COMPLETED_BASELINE_SK = "COMPLETED_BASELINE"


def ledger_order_gsi1pk(tenant_id: str, order_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#ORDER#{last(order_id, 'order id')}"


def credit_note_pointer_pk(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#CREDIT_NOTE"


def credit_note_pointer_sk(order_id: str) -> str:
    return "ORDER#" + last(order_id, "credit note order id")


def oauth_state_pk(state: str) -> str:
    """Only a hash of the state is stored: the table never holds a usable state value."""
    return f"OAUTH_STATE#{sha256_hex(state)}"


OAUTH_STATE_SK = "OAUTH_STATE"


def oauth_confirmation_pk(confirmation_id: str) -> str:
    return f"OAUTH_CONFIRM#{sha256_hex(confirmation_id)}"


OAUTH_CONFIRMATION_SK = "OAUTH_CONFIRM"


def billit_party_owner_pk(environment: str, party_id: str) -> str:
    """One Billit company (per environment: PartyIDs are not shared) → its one tenant."""
    return f"BILLIT_PARTY#{name(environment, 'environment')}#{last(party_id, 'party id')}"


BILLIT_PARTY_OWNER_SK = "OWNER"


def used_ticket_pk(jti: str) -> str:
    return f"USED_TICKET#{sha256_hex(last(jti, 'ticket id'))}"


USED_TICKET_SK = "USED"

SYNC_LOG_SK_PREFIX = "LOG#"


def sync_log_sk(entry_id: str) -> str:
    return SYNC_LOG_SK_PREFIX + last(entry_id, "entry id")


def ui_session_pk(session_id: str) -> str:
    """Hashed: the table never holds the cookie's value (a read of the table is no login)."""
    return f"UI_SESSION#{sha256_hex(last(session_id, 'session id'))}"


UI_SESSION_SK = "UI_SESSION"
