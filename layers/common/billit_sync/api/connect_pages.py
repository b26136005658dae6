"""The connect flow's confirmation page, in the tenant's language (issue 14).

"Connect <tenant> to <company, VAT number>?" with a POST form to ``/oauth/confirm``: the
one-time confirmation id is its only hidden field (the token pair stays server-side), a
company connected to another tenant is shown but cannot be chosen.
"""

import html

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie

from billit_sync.api.pages import html_document, html_page
from billit_sync.connection.connect_outcomes import CompanyTakenError, ConfirmationNeeded
from billit_sync.messages import Language, page_text
from billit_sync.store import BillitCompany

CONFIRM_PATH = "/oauth/confirm"


def _company(company: BillitCompany, language: Language) -> str:
    vat = company.vat_number or page_text("confirm.no_vat", language)
    return f"{company.name}, {vat}"


def confirmation_page(needed: ConfirmationNeeded, *, cookies: list[Cookie]) -> Response[str]:
    language = needed.language
    available = [choice for choice in needed.choices if not choice.taken]
    esc = html.escape
    parts: list[str] = []
    if len(needed.choices) == 1:
        company = needed.choices[0].company
        parts.append(
            "<p>"
            + esc(
                page_text(
                    "confirm.question",
                    language,
                    tenant=needed.tenant_id,
                    company=company.name,
                    vat=company.vat_number or page_text("confirm.no_vat", language),
                )
            )
            + "</p>"
        )
    else:
        parts.append(
            f"<p>{esc(page_text('confirm.choose', language, tenant=needed.tenant_id))}</p>"
        )
    parts.append(f"<p>{esc(page_text('confirm.explain', language))}</p>")
    parts.append(f'<form method="post" action="{CONFIRM_PATH}">')
    parts.append(f'<input type="hidden" name="confirmation" value="{esc(needed.confirmation_id)}">')
    if len(needed.choices) == 1:
        choice = needed.choices[0]
        if choice.taken:
            parts.append(f"<p><strong>{esc(page_text('confirm.taken', language))}</strong></p>")
        else:
            parts.append(
                f'<input type="hidden" name="party_id" value="{esc(choice.company.party_id)}">'
            )
    else:
        default = needed.preselected or (available[0].company.party_id if available else None)
        for choice in needed.choices:
            party = esc(choice.company.party_id)
            label = esc(_company(choice.company, language))
            if choice.taken:
                taken = esc(page_text("confirm.taken", language))
                parts.append(
                    f'<p><label><input type="radio" name="party_id" value="{party}" disabled> '
                    f"{label} {taken}</label></p>"
                )
            else:
                checked = " checked" if choice.company.party_id == default else ""
                parts.append(
                    f'<p><label><input type="radio" name="party_id" value="{party}"{checked}> '
                    f"{label}</label></p>"
                )
    if available:
        parts.append(
            f'<button type="submit" name="decision" value="connect">'
            f"{esc(page_text('confirm.yes', language))}</button> "
        )
    parts.append(
        f'<button type="submit" name="decision" value="cancel">'
        f"{esc(page_text('confirm.no', language))}</button></form>"
    )
    return html_document(
        200, page_text("confirm.title", language), "".join(parts), lang=language, cookies=cookies
    )


def company_taken_page(error: CompanyTakenError, *, cookies: list[Cookie]) -> Response[str]:
    return html_page(
        409,
        page_text("taken.title", error.language),
        page_text("taken.message", error.language, company=error.company),
        lang=error.language,
        cookies=cookies,
    )


def confirmation_expired_page(*, cookies: list[Cookie]) -> Response[str]:
    return html_page(
        400,
        page_text("expired.title", "en"),
        page_text("expired.message", "en"),
        cookies=cookies,
    )
