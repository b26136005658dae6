"""The settings page and "sync now" through the real management handler: defaults, saving,
422s that name the field, tenant isolation, the employees note, and the import job queued."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from billit_sync.store import keys
from billit_sync.sync.imports.jobs import ImportJob
from billit_sync.tenant_settings import NO_EMPLOYEES_NOTE, TenantSettings
from billit_sync.tickets import TicketScope
from functions.management_api import app as management_api
from tests.support.stack import Stack, http_event, running_stack

TENANT = "acme"
OTHER_TENANT = "globex"

SAVED = {
    "imports": {
        "customers": True,
        "contact_persons": False,
        "products": True,
        "product_groups": False,
        "hour_types": True,
        "interval_minutes": 120,
    },
    "exports": {
        "enabled": True,
        "delivery": "peppol",
        "payment_term_days": 14,
        "include_hours": True,
        "hour_rounding": "15",
        "include_materials": False,
        "work_description_line": False,
        "attach_workorder_pdf": True,
        "create_missing_customers": True,
        "default_vat_rate": "6",
        "billit_decimals": 3,
        "limits": {
            "max_quantity_per_line": "500",
            "max_hours_per_workorder": "80",
            "max_invoice_total": "10000.50",
            "allow_negative_lines": False,
            "allow_negative_total": False,
        },
        "only_completed_after_connection": False,
        "workstatus_after_export": "Gefactureerd",
        "workstatus_when_paid": "Betaald",
        "workorders": {
            "default_hour_type": "HT-001",
            "paid_on_site": "invoice",
            "fixed_price_quote": "invoice_lines",
            "unknown_payment_method": "invoice",
            "on_account_methods": ["op rekening"],
            "paid_on_site_methods": ["cash", "pin"],
            "fixed_price_quote_methods": ["conform offerte", "vaste prijs"],
        },
        "recompleted": "credit_and_reinvoice",
        "discovery_safety_net_minutes": 90,  # issue 16
    },
}


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with running_stack(monkeypatch, management_api) as running:
        for tenant_id in (TENANT, OTHER_TENANT):
            office = running.outsmart.add_tenant(f"token-{tenant_id}", name=tenant_id)
            office.add_workstatus("Gefactureerd", "Gefactureerd")
            office.add_workstatus("Betaald", "Betaald")
            running.call(
                management_api,
                "PUT",
                f"/tenants/{tenant_id}",
                scope=TicketScope.ADMIN,
                body={"outsmart_token": f"token-{tenant_id}", "language": "nl"},
            )
        yield running


def connect(stack: Stack, tenant_id: str = TENANT) -> None:
    stack.services.tenants.save_connected(
        tenant_id, party_id="512340", company_name="Claes BV", companies=[], environment="sandbox"
    )


def call(
    stack: Stack, method: str, path: str, *, as_tenant: str = TENANT, body: Any = None
) -> tuple[int, dict[str, Any]]:
    response = stack.call(management_api, method, path, tenant_id=as_tenant, body=body)
    return response["statusCode"], json.loads(response["body"])


def get_settings(stack: Stack, tenant_id: str = TENANT) -> tuple[int, dict[str, Any]]:
    return call(stack, "GET", f"/tenants/{tenant_id}/settings", as_tenant=tenant_id)


def put_settings(stack: Stack, body: Any, tenant_id: str = TENANT) -> tuple[int, dict[str, Any]]:
    """PUT the settings document (``body``: the settings, or the raw text of a bad body)."""
    document = {"settings": body} if isinstance(body, dict) else body
    return call(stack, "PUT", f"/tenants/{tenant_id}/settings", as_tenant=tenant_id, body=document)


def patch_settings(
    stack: Stack, body: Any, tenant_id: str = TENANT, content_type: str | None = None
) -> tuple[int, dict[str, Any]]:
    """PATCH a merge patch of the settings document (``body``: the part of the settings)."""
    event = http_event(
        "PATCH",
        f"/tenants/{tenant_id}/settings",
        body={"settings": body},
        headers={
            "authorization": f"Bearer {stack.ticket(tenant_id)}",
            **({"content-type": content_type} if content_type else {}),
        },
    )
    response = stack.invoke(management_api, event)
    return response["statusCode"], json.loads(response["body"])


def sync(stack: Stack, body: Any = None, tenant_id: str = TENANT) -> tuple[int, dict[str, Any]]:
    return call(stack, "POST", f"/tenants/{tenant_id}/sync", as_tenant=tenant_id, body=body)


def failed_fields(body: dict[str, Any]) -> list[str]:
    """The wrong fields, named within the settings (the document's ``settings.`` left off)."""
    assert body["code"] == "invalid_body"
    assert all(field["in"] == "body" for field in body["errors"])
    return [field["field"].removeprefix("settings.") for field in body["errors"]]


# ------------------------------------------------------------------ settings
def test_defaults_until_saved_with_the_notes(stack: Stack) -> None:
    status, body = get_settings(stack)
    assert status == 200
    assert body["settings"] == TenantSettings().model_dump(mode="json")
    assert body["settings"]["exports"]["delivery"] == "draft"
    assert NO_EMPLOYEES_NOTE in body["notes"]
    assert any("employees are not imported" in note for note in body["notes"])


def test_saved_settings_come_back_exactly(stack: Stack) -> None:
    status, body = put_settings(stack, SAVED)
    assert status == 200
    assert body["settings"] == SAVED
    assert NO_EMPLOYEES_NOTE in body["notes"]

    assert get_settings(stack) == (200, {"settings": SAVED, "notes": body["notes"]})
    assert stack.services.settings.get(TENANT) == TenantSettings.model_validate(SAVED)
    assert get_settings(stack, OTHER_TENANT)[1]["settings"] == TenantSettings().model_dump(
        mode="json"
    )


@pytest.mark.parametrize("field", ["workstatus_after_export", "workstatus_when_paid"])
def test_a_work_status_outsmart_does_not_know_is_refused_with_its_name(
    stack: Stack, field: str
) -> None:
    """Checked against OutSmart's ``/workstatusses/`` list (outsmart-api.md §4.2) when saved:
    a typo would otherwise surface only when an invoice is made or paid."""
    assert put_settings(stack, SAVED)[0] == 200
    changed = json.loads(json.dumps(SAVED))
    changed["exports"][field] = "Gefactureeerd"

    status, body = put_settings(stack, changed)

    assert status == 422
    assert failed_fields(body) == [f"exports.{field}"]
    (problem,) = body["errors"]
    assert "'Gefactureeerd'" in problem["detail"]
    assert "Betaald, Gefactureerd" in problem["detail"]  # what OutSmart does know
    assert stack.services.settings.get(TENANT) == TenantSettings.model_validate(SAVED)


def test_unchanged_work_statuses_are_not_read_from_outsmart_again(stack: Stack) -> None:
    assert put_settings(stack, SAVED)[0] == 200
    stack.outsmart.tenant(f"token-{TENANT}").workstatusses.clear()  # renamed in OutSmart since

    changed = json.loads(json.dumps(SAVED))
    changed["exports"]["payment_term_days"] = 30
    assert put_settings(stack, changed)[0] == 200


def test_a_patch_on_defaults_keeps_them_and_numbers_are_understood(stack: Stack) -> None:
    status, body = patch_settings(
        stack, {"exports": {"hour_rounding": 30, "default_vat_rate": 12, "payment_term_days": 0}}
    )
    assert status == 200
    assert body["settings"]["imports"] == TenantSettings().imports.model_dump(mode="json")
    exports = body["settings"]["exports"]
    assert (exports["hour_rounding"], exports["default_vat_rate"]) == ("30", "12")
    assert exports["payment_term_days"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"exports": {"hour_rounding": "10"}}, "exports.hour_rounding"),
        ({"exports": {"payment_term_days": -5}}, "exports.payment_term_days"),
        ({"imports": {"employees": True}}, "imports.employees"),
        ({"exports": {"delivery": "post"}}, "exports.delivery"),
        ({"imports": {"interval_minutes": 1}}, "imports.interval_minutes"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_settings_are_a_422_naming_the_field_and_nothing_is_saved(
    stack: Stack, body: dict[str, Any], field: str
) -> None:
    put_settings(stack, SAVED)
    status, answer = patch_settings(stack, body)
    assert status == 422
    assert failed_fields(answer) == [field]
    assert field in answer["detail"]
    assert get_settings(stack)[1]["settings"] == SAVED


def test_a_body_that_is_not_json_is_a_400(stack: Stack) -> None:
    status, answer = put_settings(stack, "{not json")
    assert status == 400
    assert answer["code"] == "malformed_body"


def test_another_tenants_ticket_can_neither_read_nor_write(stack: Stack) -> None:
    put_settings(stack, SAVED)
    path = f"/tenants/{TENANT}/settings"

    read_status, read_body = call(stack, "GET", path, as_tenant=OTHER_TENANT)
    write_status, _ = call(
        stack,
        "PUT",
        path,
        as_tenant=OTHER_TENANT,
        body={"settings": TenantSettings().model_dump(mode="json")},
    )

    assert read_status == 403
    assert "settings" not in read_body
    assert write_status == 403
    assert get_settings(stack)[1]["settings"] == SAVED


def test_no_ticket_is_a_401(stack: Stack) -> None:
    response = stack.call(management_api, "GET", f"/tenants/{TENANT}/settings", ticket="")
    assert response["statusCode"] == 401


def test_an_unregistered_tenant_is_a_404(stack: Stack) -> None:
    assert get_settings(stack, "initech")[0] == 404
    assert put_settings(stack, SAVED, "initech")[0] == 404
    assert stack.services.settings.get("initech") == TenantSettings()  # nothing stored
    assert sync(stack, tenant_id="initech")[0] == 404


def test_an_unreadable_saved_item_shows_defaults_and_a_save_repairs_it(stack: Stack) -> None:
    stack.services.integration_table.put_item(
        Item={
            "pk": keys.tenant_pk(TENANT),
            "sk": keys.SETTINGS_SK,
            "tenant_id": TENANT,
            "settings": {"exports": {"hour_rounding": "7"}},
        }
    )
    status, body = get_settings(stack)
    assert status == 200
    assert body["settings"] == TenantSettings().model_dump(mode="json")
    assert any("could not be read" in note for note in body["notes"])

    assert put_settings(stack, SAVED)[0] == 200
    assert get_settings(stack)[1]["settings"] == SAVED


# ------------------------------------------------------------------ sync now
def test_sync_now_queues_a_manual_import(stack: Stack) -> None:
    connect(stack)
    assert sync(stack) == (
        202,
        {"queued": True, "full": False, "reason": None, "message": None},
    )

    jobs = [ImportJob.model_validate_json(body) for body in stack.drain("ImportJobsQueue")]
    assert jobs == [ImportJob(tenant_id=TENANT, full=False, trigger="manual")]
    assert stack.router.calls.call_count == 0  # the route only queues


def test_sync_now_carries_the_full_flag(stack: Stack) -> None:
    connect(stack)
    assert sync(stack, {"full": True}) == (
        202,
        {"queued": True, "full": True, "reason": None, "message": None},
    )
    jobs = [ImportJob.model_validate_json(body) for body in stack.drain("ImportJobsQueue")]
    assert jobs == [ImportJob(tenant_id=TENANT, full=True, trigger="manual")]


def test_sync_now_ignores_the_interval(stack: Stack) -> None:
    connect(stack)
    stack.services.tenants.record_import_finished(TENANT, stack.clock.now)
    assert sync(stack, {})[0] == 202
    assert len(stack.drain("ImportJobsQueue")) == 1


def test_sync_now_needs_a_connection(stack: Stack) -> None:
    status, body = sync(stack)
    assert status == 409
    assert body["code"] == "not_connected"
    assert stack.drain("ImportJobsQueue") == []


def test_sync_now_after_auth_expired_says_to_reconnect(stack: Stack) -> None:
    connect(stack)
    stack.services.tenants.mark_auth_expired(TENANT)
    status, body = sync(stack)
    assert status == 409
    assert body["detail"].startswith("Authenticatie verlopen.")  # tenant speaks nl
    assert stack.drain("ImportJobsQueue") == []


def test_sync_now_with_every_import_off_queues_nothing_and_says_why(stack: Stack) -> None:
    connect(stack)
    off = {"imports": {"customers": False, "products": False, "hour_types": False}}
    assert patch_settings(stack, off)[0] == 200
    status, body = sync(stack)
    assert status == 200
    assert body["queued"] is False and body["reason"] == "imports_off"
    assert stack.drain("ImportJobsQueue") == []


def test_sync_now_refuses_a_bad_body(stack: Stack) -> None:
    connect(stack)
    status, body = sync(stack, {"full": "sometimes"})
    assert status == 422
    assert failed_fields(body) == ["full"]
    status, body = sync(stack, {"fulll": True})
    assert status == 422
    assert failed_fields(body) == ["fulll"]


def test_sync_now_for_another_tenant_is_forbidden(stack: Stack) -> None:
    connect(stack, OTHER_TENANT)
    status, _ = call(stack, "POST", f"/tenants/{OTHER_TENANT}/sync", as_tenant=TENANT)
    assert status == 403
    assert stack.drain("ImportJobsQueue") == []


def test_sync_now_answers_503_when_the_queue_refuses(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(stack)
    monkeypatch.setattr(stack.services.import_jobs, "_sleep", lambda seconds: None)

    def refuse(**kwargs: Any) -> Any:
        failed = [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError"}
            for e in kwargs["Entries"]
        ]
        return {"Successful": [], "Failed": failed}

    monkeypatch.setattr(stack.services.sqs, "send_message_batch", refuse)
    status, body = sync(stack)
    assert status == 503
    assert body["code"] == "unavailable"


# ------------------------------------------- settings updates that never surprise (issue 15)
def test_a_partial_put_resets_nothing_it_is_a_422_naming_what_is_missing(stack: Stack) -> None:
    """The old behaviour: a PUT of one setting reset every other one to its default (the
    delivery mode back to draft, the paid work status emptied). Now PUT needs the whole
    document and says which settings are missing; nothing changes."""
    assert put_settings(stack, SAVED)[0] == 200

    status, body = put_settings(stack, {"exports": {"payment_term_days": 7}})

    assert status == 422
    missing = failed_fields(body)
    assert "imports" in missing
    assert {"exports.delivery", "exports.workstatus_when_paid"} <= set(missing)
    assert "exports.payment_term_days" not in missing
    saved = get_settings(stack)[1]["settings"]
    assert saved["exports"]["delivery"] == "peppol"
    assert saved["exports"]["workstatus_when_paid"] == "Betaald"
    assert saved == SAVED

    # The very request of the bug report (a bare partial body, as PUT used to take): refused,
    # where it used to answer 200 and put delivery back to draft and the paid status to none.
    path = f"/tenants/{TENANT}/settings"
    status, _ = call(stack, "PUT", path, body={"exports": {"payment_term_days": 7}})
    assert status == 422
    assert get_settings(stack)[1]["settings"] == SAVED


@pytest.mark.parametrize("saved_first", [False, True], ids=["defaults", "saved"])
def test_put_takes_back_exactly_what_get_answers(stack: Stack, saved_first: bool) -> None:
    """GET → PUT unchanged (notes included) → GET equal, from the defaults and after a save."""
    if saved_first:
        assert put_settings(stack, SAVED)[0] == 200
    status, document = get_settings(stack)
    assert status == 200

    put_status, answer = call(stack, "PUT", f"/tenants/{TENANT}/settings", body=document)

    assert (put_status, answer) == (200, document)
    assert get_settings(stack) == (200, document)


def test_a_patch_changes_only_what_it_names_nested_settings_merged(stack: Stack) -> None:
    assert put_settings(stack, SAVED)[0] == 200

    status, body = patch_settings(
        stack,
        {"exports": {"delivery": "email", "limits": {"max_invoice_total": "999.99"}}},
        content_type="application/merge-patch+json",
    )

    assert status == 200
    expected = json.loads(json.dumps(SAVED))
    expected["exports"]["delivery"] = "email"
    expected["exports"]["limits"]["max_invoice_total"] = "999.99"
    assert body["settings"] == expected  # the other limits, the work statuses: all kept
    assert get_settings(stack)[1]["settings"] == expected


def test_a_patch_null_puts_a_setting_back_to_its_default(stack: Stack) -> None:
    assert put_settings(stack, SAVED)[0] == 200
    status, body = patch_settings(
        stack, {"exports": {"workstatus_when_paid": None, "workorders": {"paid_on_site": None}}}
    )
    assert status == 200
    exports = body["settings"]["exports"]
    assert exports["workstatus_when_paid"] is None
    assert exports["workorders"]["paid_on_site"] == "mark_paid"  # the default
    assert exports["workorders"]["on_account_methods"] == ["op rekening"]  # kept
    assert exports["delivery"] == "peppol"


def test_a_patch_with_unknown_names_is_a_422_naming_each_and_saves_nothing(
    stack: Stack,
) -> None:
    assert put_settings(stack, SAVED)[0] == 200
    status, body = patch_settings(
        stack, {"exports": {"delivry": "email", "limits": {"max_total": 1}}, "colour": "blue"}
    )
    assert status == 422
    assert sorted(failed_fields(body)) == ["colour", "exports.delivry", "exports.limits.max_total"]
    assert get_settings(stack)[1]["settings"] == SAVED

    event = http_event(
        "PATCH",
        f"/tenants/{TENANT}/settings",
        body={"settings": {}, "colour": "blue"},
        headers={"authorization": f"Bearer {stack.ticket(TENANT)}"},
    )
    answer = json.loads(stack.invoke(management_api, event)["body"])
    assert [error["field"] for error in answer["errors"]] == ["colour"]


def test_a_patched_work_status_is_checked_against_outsmart(stack: Stack) -> None:
    assert put_settings(stack, SAVED)[0] == 200
    status, body = patch_settings(stack, {"exports": {"workstatus_when_paid": "Betaaaald"}})
    assert status == 422
    assert failed_fields(body) == ["exports.workstatus_when_paid"]
    assert get_settings(stack)[1]["settings"] == SAVED
