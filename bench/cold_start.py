"""Cold start: how long each handler module takes to import, and how big the layer is.

Import time: ``python -X importtime -c "import functions.<name>.app"`` in a fresh interpreter
(``PYTHONPATH=layers/common:.``, as ``make bench`` runs), one discarded run to warm the
bytecode cache, then the median of three. The figure is the cumulative time of the import
statement: the handler module and its parent packages, everything they import included (the
interpreter's own start-up excluded). The Lambda runtime starts its interpreter before this.

Layer size: ``.aws-sam/build/CommonLayer`` as ``make sam-build`` leaves it (unzipped, and
zipped as ``sam deploy`` uploads it), with its five largest packages.
"""

import io
import os
import re
import statistics
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.support.template import resources_of_type

ROOT = Path(__file__).resolve().parents[1]
LAYER_DIR = ROOT / ".aws-sam" / "build" / "CommonLayer"
RUNS = 3
MIB = 1024 * 1024
LAMBDA_UNZIPPED_LIMIT_MIB = 250  # function code and all its layers, unzipped

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)$")


@dataclass(frozen=True)
class ImportTiming:
    module: str
    milliseconds: float  # median cumulative time of the import statement
    runs: tuple[float, ...]
    heaviest: tuple[tuple[str, float], ...]  # top-level packages by own import time (ms)


@dataclass(frozen=True)
class LayerSize:
    path: Path
    built_at: datetime
    unzipped_bytes: int
    zipped_bytes: int
    largest: list[tuple[str, int]] = field(default_factory=list)


def handler_modules() -> dict[str, str]:
    """Function logical id → handler module (``CodeUri`` + ``Handler`` of the template)."""
    modules = {}
    for logical_id, resource in resources_of_type("AWS::Serverless::Function").items():
        properties = resource["Properties"]
        package = str(properties["CodeUri"]).strip("/").replace("/", ".")
        module = str(properties["Handler"]).rpartition(".")[0]
        modules[logical_id] = f"{package}.{module}"
    return modules


def parse_importtime(stderr: str, module: str) -> tuple[float, Counter[str]]:
    """(cumulative µs of ``import <module>``, own µs per top-level package under it).

    ``-X importtime`` prints one line per module once it is imported, children before their
    parent, indented two spaces per level. ``import a.b.c`` shows ``a``, ``a.b`` and ``a.b.c``
    at the top level; their cumulative times add up to the statement's.
    """
    parts = module.split(".")
    statement = {".".join(parts[: n + 1]) for n in range(len(parts))}
    cumulative = 0
    own: Counter[str] = Counter()
    pending: list[tuple[int, str]] = []  # (own µs, name) of lines below the next top level
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        self_us, cumulative_us, indent, name = match.groups()
        if len(indent) == 1:  # a top-level import
            if name in statement:
                cumulative += int(cumulative_us)
                for own_us, child in pending:
                    own[child.partition(".")[0]] += own_us
                own[name.partition(".")[0]] += int(self_us)
            pending = []
        else:
            pending.append((int(self_us), name))
    if not cumulative:
        raise ValueError(f"no import of {module} in the -X importtime output")
    return cumulative, own


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)])
    return environment


def time_import(module: str, runs: int = RUNS) -> ImportTiming:
    command = [sys.executable, "-X", "importtime", "-c", f"import {module}"]
    samples: list[float] = []
    own: Counter[str] = Counter()
    for attempt in range(runs + 1):
        done = subprocess.run(  # noqa: S603 - our own interpreter and a module name of ours
            command, cwd=ROOT, env=_environment(), capture_output=True, text=True, check=True
        )
        if attempt == 0:
            continue  # warms the bytecode cache
        cumulative_us, own_us = parse_importtime(done.stderr, module)
        samples.append(cumulative_us / 1000)
        own.update(own_us)
    heaviest = tuple(
        (package, micro / 1000 / runs)
        for package, micro in own.most_common()
        if package != module.partition(".")[0]
    )[:3]
    return ImportTiming(module, statistics.median(samples), tuple(samples), heaviest)


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _zipped_size(path: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
            archive.write(file, file.relative_to(path))
    return buffer.tell()


def layer_size(path: Path = LAYER_DIR) -> LayerSize | None:
    """The built layer's size and its five largest packages, or None when not built."""
    site = path / "python"
    if not site.is_dir():
        return None
    packages = Counter[str]()
    for entry in site.iterdir():
        if entry.name == "__pycache__" or entry.name.endswith((".dist-info", ".pth")):
            continue  # metadata: small, and named after the distribution, not the package
        packages[entry.name.split(".")[0]] += _tree_size(entry)
    built_at = datetime.fromtimestamp((site / "billit_sync").stat().st_mtime, UTC)
    return LayerSize(
        path=path,
        built_at=built_at,
        unzipped_bytes=_tree_size(path),
        zipped_bytes=_zipped_size(path),
        largest=packages.most_common(5),
    )


@dataclass
class ColdStart:
    timings: dict[str, ImportTiming]
    layer: LayerSize | None

    def markdown(self) -> str:
        rows = "\n".join(
            f"| {function} | `{t.module}` | {t.milliseconds:.0f} | "
            f"{', '.join(f'{int(r)}' for r in t.runs)} | "
            f"{', '.join(f'{name} {ms:.0f}' for name, ms in t.heaviest)} |"
            for function, t in self.timings.items()
        )
        text = f"""## Cold start: handler import time and layer size

Each handler module imported in a fresh interpreter:
`PYTHONPATH=layers/common:. python -X importtime -c "import functions.<name>.app"` (one
warm-up run for the bytecode cache, then the median of {RUNS}; the time of the whole import
statement, without the interpreter's own start-up; `-X importtime` itself adds a little).
The last column splits the import by top-level package (own time, mean of the runs): where a
cold start goes. Measured from the source tree with the development environment: there
`httpx` also loads its command-line extra (`rich`, `pygments`; tens of ms), which the layer
does not contain.

| function | module | import (ms, median) | runs (ms) | heaviest packages (ms) |
|---|---|---|---|---|
{rows}
"""
        layer = self.layer
        if layer is None:
            return (
                text + "\nLayer size: not measured, `.aws-sam/build/CommonLayer` is missing. Run "
                "`make sam-build`, then `make bench`.\n"
            )
        largest = "\n".join(f"| {name} | {size / MIB:.1f} MiB |" for name, size in layer.largest)
        return (
            text
            + f"""
The layer (`.aws-sam/build/CommonLayer`, built by `make sam-build` at
{layer.built_at:%Y-%m-%d %H:%M} UTC; run `make sam-build && make bench` for a fresh figure):
**{layer.unzipped_bytes / MIB:.1f} MiB unzipped** ({layer.zipped_bytes / MIB:.1f} MiB zipped);
Lambda allows {LAMBDA_UNZIPPED_LIMIT_MIB} MiB unzipped for a function and its layers.

| largest packages in the layer | unzipped |
|---|---|
{largest}
"""
        )


def run() -> ColdStart:
    timings = {function: time_import(module) for function, module in handler_modules().items()}
    return ColdStart(timings=timings, layer=layer_size())
