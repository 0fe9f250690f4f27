"""The database layer imports no block: blocks build on it, never the other way round (issue 15). Until an
import-linter contract holds every layer to its rule in `make lint`, this test holds this one."""

from __future__ import annotations

import ast
from pathlib import Path

import govhub.db

#: What the layer may import of govhub: itself and the settings.
_ALLOWED = ("govhub.db", "govhub.config")


def _govhub_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "govhub":
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "govhub")
    return found


def test_the_database_layer_imports_nothing_of_govhub_but_itself_and_the_settings() -> None:
    package = Path(govhub.db.__file__).parent
    outside = {
        f"{path.name}: {name}"
        for path in sorted(package.glob("*.py"))
        for name in _govhub_imports(path)
        if not any(name == allowed or name.startswith(f"{allowed}.") for allowed in _ALLOWED)
    }
    assert not outside, f"govhub.db imports blocks: {sorted(outside)}"
