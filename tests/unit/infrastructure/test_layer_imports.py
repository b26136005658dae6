"""What the deployed code imports at run time must exist in Lambda: the standard library and
the layer's direct requirements (boto3 and botocore included: the layer ships the pair).
Type-only packages (the ``mypy_boto3_*`` stubs) may only be imported under ``TYPE_CHECKING``."""

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REQUIREMENTS = ROOT / "layers/common/requirements.txt"


def _direct_requirements() -> set[str]:
    lines = REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    return {
        line.split("==")[0].lower().replace("_", "-")
        for line in lines
        if line.strip() and not line.startswith("#")
    }


def _import_names(distributions: set[str]) -> set[str]:
    """Top-level import names of the installed distributions (``pydantic-core`` →
    ``pydantic_core``), as this venv, installed from the layer's lock, has them."""
    return {
        name
        for name, owners in packages_distributions().items()
        if any(owner.lower().replace("_", "-") in distributions for owner in owners)
    }


LAYER_REQUIREMENTS = _import_names(_direct_requirements() | {"pydantic-core"})
OWN = {"billit_sync"}
ALLOWED = LAYER_REQUIREMENTS | OWN | set(sys.stdlib_module_names) | {"__future__"}
DEPLOYED = sorted(
    [*(ROOT / "layers/common/billit_sync").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
)


def _run_time_imports(tree: ast.Module) -> list[str]:
    """Top-level module names imported outside ``if TYPE_CHECKING:`` blocks."""
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, ast.Import):
            names.extend(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


@pytest.mark.parametrize("path", DEPLOYED, ids=lambda p: str(p.relative_to(ROOT)))
def test_deployed_code_imports_only_what_lambda_has(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing = {name for name in _run_time_imports(tree) if name not in ALLOWED}
    missing.discard("functions")  # handler packages import each other only in tests
    assert not missing, f"{path.name} imports {sorted(missing)} at run time"


def test_the_allowed_set_is_the_layer_requirements() -> None:
    assert {"aws_lambda_powertools", "boto3", "botocore", "httpx", "jwt", "pydantic"} <= ALLOWED
    assert not {"aws_xray_sdk", "opentelemetry", "wrapt"} & ALLOWED
