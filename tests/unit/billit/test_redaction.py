"""No token, secret or authorization code in any exception message or log record."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from billit_sync.billit import BillitClient, StaticCredentials, WebhookEntityType, WebhookUpdateType
from billit_sync.billit.http import BillitHttp
from tests.fakes.faults import FaultKind
from tests.unit.billit.conftest import (
    CLIENT_SECRET,
    EMAIL,
    POLICY,
    REDIRECT_URI,
    CapturingHandler,
    Harness,
)


def test_no_secret_reaches_messages_or_logs(
    harness: Harness,
    client: BillitClient,
    captured_logs: CapturingHandler,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    secrets: list[str] = [CLIENT_SECRET]

    def attempt(action: object) -> None:
        try:
            action()  # type: ignore[operator]
        except Exception as error:
            errors.append(error)

    tokens = harness.creds.tokens
    secrets += [tokens.access_token.get_secret_value(), tokens.refresh_token.get_secret_value()]
    webhook = client.webhooks.register_webhook(
        WebhookEntityType.ORDER, WebhookUpdateType.UPDATE, "https://conn.example/hook"
    )
    assert webhook.secret is not None
    secrets.append(webhook.secret.get_secret_value())

    # A code used twice, a refresh token used twice, faults on every kind of call.
    location = harness.fake.authorize(EMAIL, REDIRECT_URI, "s")
    code = parse_qs(urlsplit(location).query)["code"][0]
    secrets.append(code)
    harness.oauth.exchange_code(code)
    attempt(lambda: harness.oauth.exchange_code(code))
    newer = harness.oauth.refresh(tokens.refresh_token)
    secrets += [newer.access_token.get_secret_value(), newer.refresh_token.get_secret_value()]
    attempt(lambda: harness.oauth.refresh(tokens.refresh_token))
    harness.faults.add(FaultKind.TIMEOUT_AFTER_SEND, method="POST", path="/OAuth2/token")
    attempt(lambda: harness.oauth.refresh(newer.refresh_token))
    harness.faults.add(FaultKind.SERVER_ERROR, method="GET", path="/v1/parties", times=-1)
    attempt(lambda: list(client.parties.iter_parties()))
    harness.faults.clear()
    harness.faults.add(FaultKind.MALFORMED_BODY, method="GET", path="/v1/products")
    attempt(lambda: list(client.products.iter_products()))
    harness.faults.add(FaultKind.CONNECT_ERROR, method="GET", path="/v1/orders", times=-1)
    attempt(lambda: client.orders.find_orders_by_external_reference("x"))
    bad = BillitClient(
        BillitHttp(
            harness.http_client,
            harness.endpoints,
            StaticCredentials(SecretStr(tokens.access_token.get_secret_value()), 1),
            retry=POLICY,
            sleep=harness.waits.append,
        )
    )
    attempt(lambda: bad.parties.get_party(1))
    harness.fake.revoke_user_tokens(EMAIL)
    attempt(client.account.get_account_information)

    assert len(errors) == 8
    assert captured_logs.records  # the retries and calls were logged
    out = capsys.readouterr()
    texts = [
        *(f"{error!s} {error!r} {error.args!r}" for error in errors),
        captured_logs.text(),
        caplog.text,
        out.out,
        out.err,
    ]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert "Bearer" not in captured_logs.text()
