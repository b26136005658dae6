"""One PEP 562 loader for the packages whose names load their module on first use.

``billit``, ``outsmart``, ``store`` and ``webhooks`` re-export many names; importing all their
modules at package import would cost every handler the cold start of the ones it never uses
(issue 16). Each package hands its name → module table to :func:`lazy_exports` and gets the
module-level ``__getattr__`` back. Only the standard library is imported here.
"""

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, module_of: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: load ``name``'s module, keep the value in the
    package's ``namespace`` (the next access is a plain attribute), or raise AttributeError."""

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
