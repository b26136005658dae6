"""One-time migrations after deploying issue 14 onto a stack that has tenants already.

1. Every tenant's webhook secrets move into their own secret. Earlier versions kept them in
   the tenant's token secret, which the webhook ingestion function may no longer read: until
   a tenant is migrated its Billit and OutSmart webhooks are refused (401). Each tenant is
   migrated under its secret lease, so a token refresh never races it.
2. Every connected tenant's Billit company is recorded in the party → tenant index, so the
   connect flow refuses a second tenant on it. Two tenants that already share one company are
   reported (the first keeps the record; the operator decides).

Run it right after the deploy, with an operator's credentials; running it again changes
nothing::

    PYTHONPATH=layers/common python -m billit_sync.store.migrate \\
        --stage prod --table <IntegrationTable name>
"""

import argparse
import sys

from billit_sync.store.connect_confirmations import BillitCompanyOwners
from billit_sync.store.tenants import ConnectionStatus, TenantStore


def record_company_owners(tenants: TenantStore, owners: BillitCompanyOwners) -> list[str]:
    """Index every connected (or auth-expired) tenant's company; the conflicts found."""
    conflicts: list[str] = []
    for status in (ConnectionStatus.CONNECTED, ConnectionStatus.AUTH_EXPIRED):
        for tenant_id in tenants.list_tenant_ids(status):
            connection = tenants.get_connection(tenant_id)
            party, environment = connection.party_id, connection.environment
            if not party or not environment:
                continue
            if not owners.claim(environment, party, tenant_id, replacing=None):
                owner = owners.owner(environment, party)
                conflicts.append(
                    f"Billit company {party} ({environment}) is connected to both {owner} "
                    f"and {tenant_id}"
                )
    return conflicts


def main(argv: list[str] | None = None) -> int:
    import boto3  # noqa: PLC0415 - an operator's tool, not a function's code

    from billit_sync.connection.secret_lock import TenantSecretLock  # noqa: PLC0415
    from billit_sync.store.clock import system_clock  # noqa: PLC0415
    from billit_sync.store.leases import LeaseStore  # noqa: PLC0415
    from billit_sync.store.secrets import TenantSecretStore  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="python -m billit_sync.store.migrate",
        description="Issue 14's one-time migrations (webhook secrets, company owners).",
    )
    parser.add_argument("--stage", required=True)
    parser.add_argument("--table", required=True, help="the IntegrationTable (for the leases)")
    args = parser.parse_args(argv)
    session = boto3.session.Session()
    store = TenantSecretStore(
        session.client("secretsmanager"),
        f"outsmart-billit/{args.stage}/tenants/",
        webhook_prefix=f"outsmart-billit/{args.stage}/webhooks/",
    )
    table = session.resource("dynamodb").Table(args.table)
    lock = TenantSecretLock(LeaseStore(table, system_clock), store, system_clock)
    migrated = 0
    for tenant_id in store.tenant_ids():
        with lock.held(tenant_id):
            if store.migrate(tenant_id):
                migrated += 1
                sys.stdout.write(f"migrated {tenant_id}\n")
    sys.stdout.write(f"{migrated} tenant(s) migrated\n")
    conflicts = record_company_owners(
        TenantStore(table, system_clock), BillitCompanyOwners(table, system_clock)
    )
    for conflict in conflicts:
        sys.stdout.write(f"CHECK: {conflict}\n")
    sys.stdout.write("Billit companies recorded for every connected tenant\n")
    return 1 if conflicts else 0


if __name__ == "__main__":
    raise SystemExit(main())
