"""Move every tenant's webhook secrets into their own secret (issue 14), once, after deploying.

Earlier versions kept the webhook secrets in the tenant's token secret; the webhook ingestion
function may no longer read that one. Until a tenant is migrated its Billit and OutSmart
webhooks are refused (401; Billit's reconcile backstop recovers the events), so run this
right after the deploy, with an operator's credentials::

    PYTHONPATH=layers/common python -m billit_sync.store.migrate_webhook_secrets \\
        --stage prod --table <IntegrationTable name>

Each tenant is migrated under its secret lease (a token refresh never races it); running it
again changes nothing.
"""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    import boto3  # noqa: PLC0415 - an operator's tool, not a function's code

    from billit_sync.connection.secret_lock import TenantSecretLock  # noqa: PLC0415
    from billit_sync.store.clock import system_clock  # noqa: PLC0415
    from billit_sync.store.leases import LeaseStore  # noqa: PLC0415
    from billit_sync.store.secrets import TenantSecretStore  # noqa: PLC0415

    parser = argparse.ArgumentParser(
        prog="python -m billit_sync.store.migrate_webhook_secrets",
        description="Move webhook secrets out of the tenants' token secrets.",
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
