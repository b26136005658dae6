"""The layer's dependencies are locked with hashes, and the tests run exactly those versions
(issue 16): ``layers/common/requirements.lock`` is what ``sam build`` installs into the layer
(layers/common/Makefile, ``--require-hashes``) and what ``make`` installs into the dev venv
first, then uses as constraints for everything else."""

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LAYER = ROOT / "layers/common"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, tuple[str, int]]:
    """Package → (version, number of sha256 hashes) from the lock."""
    entries: dict[str, tuple[str, int]] = {}
    current = ""
    for line in (LAYER / "requirements.lock").read_text(encoding="utf-8").splitlines():
        pin = _PIN.match(line)
        if pin:
            current = _normalised(pin.group(1))
            entries[current] = (pin.group(2).rstrip("\\").strip(), 0)
        elif current and _HASH.search(line):
            locked_version, hashes = entries[current]
            entries[current] = (locked_version, hashes + 1)
    return entries


LOCKED = _locked()


def _direct() -> dict[str, str]:
    pins = {}
    for line in (LAYER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        pin = _PIN.match(line)
        if pin:
            pins[_normalised(pin.group(1))] = pin.group(2)
    return pins


def test_every_locked_package_is_pinned_with_hashes() -> None:
    assert len(LOCKED) >= 15  # the whole transitive closure, not just the direct pins
    for package, (locked_version, hashes) in LOCKED.items():
        assert hashes >= 1, f"{package}=={locked_version} has no hash"


def test_every_direct_requirement_is_pinned_and_locked_at_that_version() -> None:
    direct = _direct()
    assert {"aws-lambda-powertools", "boto3", "botocore", "httpx", "pydantic"} <= direct.keys()
    for package, pinned in direct.items():
        assert LOCKED[package][0] == pinned, package


@pytest.mark.parametrize("package", sorted(LOCKED))
def test_the_tests_run_the_locked_version(package: str) -> None:
    try:
        installed = version(package)
    except PackageNotFoundError:
        pytest.fail(f"{package} is locked for the layer but not installed here: run make")
    assert installed == LOCKED[package][0]


def test_boto3_ships_as_a_pair_with_its_botocore_and_no_xray_sdk() -> None:
    assert "boto3" in LOCKED and "botocore" in LOCKED
    boto3_minor = LOCKED["boto3"][0].split(".")[:2]
    assert LOCKED["botocore"][0].split(".")[:2] == boto3_minor  # boto3 1.x.y needs botocore 1.x
    assert not {"aws-xray-sdk", "wrapt", "opentelemetry-api"} & LOCKED.keys()


def test_the_layer_is_built_from_the_lock_with_unchecked_hash_bytecode() -> None:
    makefile = (LAYER / "Makefile").read_text(encoding="utf-8")
    assert "build-CommonLayer:" in makefile
    assert "--require-hashes" in makefile and "requirements.lock" in makefile
    assert "--invalidation-mode unchecked-hash" in makefile
