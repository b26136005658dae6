"""What the layer ships: its size (with and without the boto3/botocore pair) and whether its
bytecode will be used as Lambda loads it (issue 16).

``python -m bench.layer <layer dir>`` checks a built layer and fails when: a module has no
bytecode, a ``.pyc`` is not an unchecked-hash one for this Python (it would be recompiled on
every cold start: /opt is read-only), a tracing SDK is in it, or it is larger than
:data:`LAYER_BUDGET_MIB` without the SDK pair. ``make sam-build`` runs it on what ``sam build``
produced, so ``make test`` fails on a layer that would cold-start slowly.
"""

import importlib.util
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
LAYER_BUDGET_MIB = 15.0  # unzipped, not counting the deliberately shipped SDK pair (issue 16)
# boto3/botocore shipped as a pinned pair (README, "Dependencies"), and the packages only they
# need. jmespath stays counted: Powertools needs it too.
SDK_PAIR = ("boto3", "botocore", "s3transfer", "dateutil", "python_dateutil", "urllib3", "six")
TRACING_SDKS = ("aws_xray_sdk", "opentelemetry", "wrapt")
# PEP 552: flags word after the magic number. 0b01 = hash-based, source not checked.
UNCHECKED_HASH = 0b01


@dataclass(frozen=True)
class LayerReport:
    path: Path
    total_bytes: int
    sdk_pair_bytes: int
    zipped_bytes: int
    largest: tuple[tuple[str, int], ...]
    modules: int  # importable modules (.py or legacy .pyc)
    problems: tuple[str, ...]

    @property
    def own_bytes(self) -> int:
        """The layer without the SDK pair: what the 15 MiB budget is about."""
        return self.total_bytes - self.sdk_pair_bytes


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _top_level(site: Path, file: Path) -> str:
    """``botocore`` for botocore/… and botocore-1.44.5.dist-info/…; ``six`` for six.pyc."""
    first = file.relative_to(site).parts[0]
    return first.split("-")[0].split(".")[0]


def _bytecode_problem(pyc: Path) -> str | None:
    header = pyc.read_bytes()[:8]
    if header[:4] != importlib.util.MAGIC_NUMBER:
        return f"{pyc}: compiled for another Python than {sys.version_info[:2]}"
    if int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
        return f"{pyc}: not an unchecked-hash .pyc (it would be re-validated or recompiled)"
    return None


def _bytecode_problems(site: Path) -> tuple[int, list[str]]:
    problems: list[str] = []
    modules = 0
    tag = sys.implementation.cache_tag
    for file in _files(site):
        if file.suffix == ".py":
            modules += 1
            cached = file.parent / "__pycache__" / f"{file.stem}.{tag}.pyc"
            if not cached.is_file():
                problems.append(f"{file}: no bytecode (compiled again on every cold start)")
            elif problem := _bytecode_problem(cached):
                problems.append(problem)
        elif file.suffix == ".pyc" and file.parent.name != "__pycache__":
            modules += 1  # shipped as bytecode only
            if problem := _bytecode_problem(file):
                problems.append(problem)
    return modules, problems


def _zipped_size(root: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in _files(root):
            archive.write(file, file.relative_to(root))
    return buffer.tell()


def inspect_layer(path: Path) -> LayerReport:
    site = path / "python"
    if not site.is_dir():
        raise FileNotFoundError(f"{site} is missing: build the layer first (make sam-build)")
    per_package: dict[str, int] = {}
    for file in _files(site):
        package = _top_level(site, file)
        per_package[package] = per_package.get(package, 0) + file.stat().st_size
    total = sum(file.stat().st_size for file in _files(path))
    sdk = sum(size for package, size in per_package.items() if package in SDK_PAIR)
    modules, problems = _bytecode_problems(site)
    problems += [f"{name} is in the layer" for name in TRACING_SDKS if name in per_package]
    if (total - sdk) / MIB > LAYER_BUDGET_MIB:
        problems.append(
            f"{(total - sdk) / MIB:.1f} MiB without the SDK pair, over {LAYER_BUDGET_MIB} MiB"
        )
    largest = tuple(sorted(per_package.items(), key=lambda item: -item[1])[:6])
    return LayerReport(
        path=path,
        total_bytes=total,
        sdk_pair_bytes=sdk,
        zipped_bytes=_zipped_size(path),
        largest=largest,
        modules=modules,
        problems=tuple(problems),
    )


def main(argv: list[str]) -> int:
    report = inspect_layer(Path(argv[1]))
    sys.stdout.write(
        f"layer {report.path}: {report.total_bytes / MIB:.1f} MiB unzipped, "
        f"{report.own_bytes / MIB:.1f} MiB without the boto3/botocore pair "
        f"(budget {LAYER_BUDGET_MIB:.0f}), {report.zipped_bytes / MIB:.1f} MiB zipped, "
        f"{report.modules} modules\n"
    )
    for problem in report.problems[:20]:
        sys.stdout.write(f"  problem: {problem}\n")
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
