"""What the deployed code imports at run time must exist in Lambda: the standard library, the
layer's requirements, and boto3/botocore from the python3.12 runtime. Type-only packages (the
``mypy_boto3_*`` stubs) may only be imported under ``TYPE_CHECKING``."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RUNTIME_PROVIDED = {"boto3", "botocore"}
LAYER_REQUIREMENTS = {
    "aws_lambda_powertools",
    "httpx",
    "pydantic",
    "pydantic_core",
    "jwt",
    "jinja2",
    "markupsafe",
}
OWN = {"billit_sync"}
ALLOWED = (
    RUNTIME_PROVIDED | LAYER_REQUIREMENTS | OWN | set(sys.stdlib_module_names) | {"__future__"}
)
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


def test_the_layer_requirements_are_the_ones_this_test_allows() -> None:
    requirements = (ROOT / "layers/common/requirements.txt").read_text(encoding="utf-8")
    for package in ("aws-lambda-powertools", "httpx", "pydantic", "PyJWT", "Jinja2", "MarkupSafe"):
        assert f"{package}" in requirements
