"""Guards on the shape of every block (CONTRIBUTING.md, "The room shape"): handlers build no repository,
parts are sub-packages rather than families of prefixed files, and `make lint`'s import contracts really
refuse a cross-block import (a test of the check itself)."""

from __future__ import annotations

import ast
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "govhub"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

#: File names that hold HTTP handlers: they parse, authorize, call a service and answer.
HANDLER_NAMES = {"api.py", "pages.py"}
#: The standard names a part may not carry as a prefix family (`proving_pages.py` is `proving/pages.py`).
STANDARD_SUFFIXES = ("_pages", "_routes", "_api", "_repository", "_models", "_schemas", "_service", "_errors")


def _handler_modules() -> list[Path]:
    return sorted(
        path
        for path in SOURCE.rglob("*.py")
        if path.name in HANDLER_NAMES or path.parent.name in {"api", "pages"}
    )


def _repository_uses(path: Path) -> list[str]:
    """Each place the module imports a repository class or calls something named `...Repository(...)`.
    (Types and constants a repository module defines, such as a row shape, may be named.)"""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            found += [
                f"line {node.lineno}: imports {alias.name}"
                for alias in node.names
                if alias.name.endswith("Repository")
            ]
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name.endswith("Repository"):
                found.append(f"line {node.lineno}: {name}(...)")
    return found


def test_the_handler_modules_are_found() -> None:
    """The next test would pass vacuously if the walk found nothing."""
    names = {path.relative_to(SOURCE).as_posix() for path in _handler_modules()}
    assert {"identity/routes.py", "members/routes.py"}.isdisjoint(names)
    assert len(names) >= 10, names


@pytest.mark.parametrize("path", _handler_modules(), ids=lambda p: p.relative_to(SOURCE).as_posix())
def test_no_page_or_api_handler_builds_a_repository(path: Path) -> None:
    assert _repository_uses(path) == [], f"{path}: handlers call a service, which owns the repository"


def test_parts_are_sub_packages_not_families_of_prefixed_files() -> None:
    """`proving_pages.py` beside `proving_repository.py` is a part that should be `proving/`. One module
    whose name ends so (`xroad_errors.py`: X-Road's error catalogue) is not a family."""
    families: dict[tuple[Path, str], list[str]] = {}
    for path in SOURCE.rglob("*.py"):
        for suffix in STANDARD_SUFFIXES:
            if path.stem.endswith(suffix) and "migrations" not in path.parts:
                prefix = path.stem.removesuffix(suffix)
                families.setdefault((path.parent, prefix), []).append(path.name)
    assert {
        f"{directory.relative_to(SOURCE)}/{prefix}_*": names
        for (directory, prefix), names in families.items()
        if len(names) > 1
    } == {}


#: Each block's public face (identity's OpenID provider has its own).
FACES = ("identity", "identity.oidc", "members", "exchange", "registries", "ledger")


def _face_imports() -> list[tuple[str, int, str, str]]:
    """(file, line, face, name) for every `from govhub.<face> import name` outside the face's own block."""
    found = []
    for path in SOURCE.rglob("*.py"):
        relative = path.relative_to(SOURCE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            face = node.module.removeprefix("govhub.")
            if face in FACES and not relative.startswith(face.split(".")[0] + "/"):
                found += [(relative, node.lineno, face, alias.name) for alias in node.names]
    return found


def test_other_blocks_import_only_what_a_face_exports() -> None:
    """The faces import their names on first use (PEP 562), so a type checker takes any name from them;
    this is the check that a name another block imports is one the face offers in `__all__`."""
    imports = _face_imports()
    assert len(imports) > 20, imports
    unexported = [
        f"{file}:{line}: {name} is not in govhub.{face}.__all__"
        for file, line, face, name in imports
        if name not in importlib.import_module(f"govhub.{face}").__all__
    ]
    assert unexported == []


def _lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(  # noqa: S603 (the venv's own lint-imports, fixed arguments)
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_import_contracts_hold_and_refuse_a_cross_block_import(tmp_path: Path) -> None:
    """`make lint` runs the same command. The copy gets one import of another block's repository, as a
    careless change would add; the contracts must then fail and name it."""
    kept = _lint_imports(SOURCE.parent)
    assert kept.returncode == 0, kept.stdout + kept.stderr

    copy = tmp_path / "src"
    shutil.copytree(
        SOURCE, copy / "govhub", ignore=shutil.ignore_patterns("__pycache__", "static", "templates")
    )
    target = copy / "govhub" / "members" / "__init__.py"
    target.write_text(target.read_text() + "\nimport govhub.identity.accounts.repository  # noqa\n")
    broken = _lint_imports(copy)
    assert broken.returncode != 0, broken.stdout
    assert "govhub.members -> govhub.identity.accounts.repository" in broken.stdout, broken.stdout
