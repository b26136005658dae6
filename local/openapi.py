"""``make openapi``: write the management API's OpenAPI document to ``docs/openapi.json``.

``python -m local.openapi --check`` exits 1 when the committed file differs from the code.
"""

import argparse
import sys
from pathlib import Path

from billit_sync.api.openapi_document import openapi_text
from functions.management_api.app import app

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = openapi_text(app)
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text(encoding="utf-8") != text:
            print(f"{DOCUMENT} is out of date: run make openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print("wrote docs/openapi.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
