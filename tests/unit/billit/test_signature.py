"""Billit-Signature: valid, wrong secret, changed byte, stale, missing and garbage headers."""

import json

import pytest
from pydantic import SecretStr

from billit_sync.billit.signature import sign_billit_payload, verify_billit_signature

SECRET = "whsec-test-1"
BODY = b'{"UpdatedEntityID": 690998, "UpdatedEntityType": "Order", "WebhookUpdateTypeTC": "U"}'
NOW = 1_716_000_000.0


def test_valid_signature() -> None:
    header = sign_billit_payload(BODY, SECRET, int(NOW))
    assert header.startswith(f"t={int(NOW)},s=")
    assert verify_billit_signature(header, BODY, SECRET, now=NOW)
    assert verify_billit_signature(header, BODY, SecretStr(SECRET), now=NOW + 299)


def test_signature_matches_the_documented_computation() -> None:
    import hashlib
    import hmac

    mac = hmac.new(SECRET.encode(), f"{int(NOW)}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_billit_payload(BODY, SECRET, int(NOW)) == f"t={int(NOW)},s={mac}"


def test_wrong_secret() -> None:
    header = sign_billit_payload(BODY, SECRET, int(NOW))
    assert not verify_billit_signature(header, BODY, "other-secret", now=NOW)
    assert not verify_billit_signature(header, BODY, "", now=NOW)


def test_changed_byte() -> None:
    header = sign_billit_payload(BODY, SECRET, int(NOW))
    changed = BODY.replace(b"690998", b"690999")
    assert not verify_billit_signature(header, changed, SECRET, now=NOW)


def test_stale_and_future_timestamps() -> None:
    old = sign_billit_payload(BODY, SECRET, int(NOW) - 301)
    future = sign_billit_payload(BODY, SECRET, int(NOW) + 301)
    assert not verify_billit_signature(old, BODY, SECRET, now=NOW)
    assert not verify_billit_signature(future, BODY, SECRET, now=NOW)
    assert verify_billit_signature(old, BODY, SECRET, now=NOW, tolerance_seconds=400)


def test_missing_header() -> None:
    assert not verify_billit_signature(None, BODY, SECRET, now=NOW)
    assert not verify_billit_signature("", BODY, SECRET, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        "t=,s=",
        "t=abc,s=" + "0" * 64,
        f"t={int(NOW)}",
        f"s={'0' * 64}",
        f"t={int(NOW)},s=zz",
        f"t={int(NOW)},t={int(NOW)},s={'0' * 64}",
        f"t=-{int(NOW)},s={'0' * 64}",
        f"t={'9' * 40},s={'0' * 64}",
        "t=١٧١٦٠٠٠٠٠٠,s=" + "0" * 64,  # non-ASCII digits
        "=,=,=",
        "x" * 5000,
        f"t={int(NOW)},s={'0' * 64},junk",
    ],
)
def test_garbage_headers_are_false_not_errors(header: str) -> None:
    assert verify_billit_signature(header, BODY, SECRET, now=NOW) is False


def test_header_parsing_tolerates_spaces_and_case() -> None:
    header = sign_billit_payload(BODY, SECRET, int(NOW))
    t, s = header.split(",")
    assert verify_billit_signature(f" {t.upper()} , {s.upper()} ", BODY, SECRET, now=NOW)


def test_only_the_raw_bytes_count_never_re_serialised_json() -> None:
    compact = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert compact != BODY
    header = sign_billit_payload(compact, SECRET, int(NOW))
    # Signed over the compact form, delivered pretty-printed: not what was received.
    assert not verify_billit_signature(header, BODY, SECRET, now=NOW)
    assert verify_billit_signature(header, compact, SECRET, now=NOW)
