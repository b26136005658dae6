"""`python -m bench` (what `make bench` runs): every benchmark, written to docs/benchmarks.md."""

import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import cold_start, cost, exports, imports, scheduler

OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def main() -> int:
    draft, peppol = exports.run("draft"), exports.run("peppol")
    sections = [
        imports.run().markdown(),
        exports.markdown([draft, peppol]),
        scheduler.run().markdown(),
        cost.run(draft).markdown(),
        cold_start.run().markdown(),
    ]
    header = f"""# Benchmarks

Reproduce with `make bench` (writes this file). Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC
on {platform.machine()} / Python {platform.python_version()}, {platform.system()};
figures vary with the machine, the shapes and ratios are what matter.
"""
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(header + "\n" + "\n".join(sections), encoding="utf-8")
    sys.stdout.write(OUTPUT.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
