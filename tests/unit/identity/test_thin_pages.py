"""The identity pages (outside the provider) parse, call a service and render: none builds a repository or a
throttle, reaches into a service's repository, or writes a field of a row. Read from the source, so a rule
that drifts back into a handler fails here before review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import govhub.identity

IDENTITY = Path(govhub.identity.__file__).parent
PAGES = sorted(
    [
        *(IDENTITY / "accounts" / "pages").glob("*.py"),
        IDENTITY / "proving" / "pages.py",
        IDENTITY / "security_keys" / "pages.py",
    ]
)


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _problems(source: str) -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and (
            _called_name(node).endswith("Repository") or _called_name(node) == "Throttle"
        ):
            problems.append(f"line {node.lineno}: builds {_called_name(node)}")
        if isinstance(node, ast.Attribute) and node.attr == "repository":
            problems.append(f"line {node.lineno}: reaches into .repository")
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            problems += [
                f"line {node.lineno}: writes .{target.attr}"
                for target in targets
                if isinstance(target, ast.Attribute)
            ]
    return problems


def test_the_check_finds_what_it_looks_for() -> None:
    source = (
        "async def page(db):\n    IdentityRepository(db)\n    service.repository.x()\n    account.email = 1\n"
    )
    assert len(_problems(source)) == 3


@pytest.mark.parametrize("path", PAGES, ids=lambda path: str(path.relative_to(IDENTITY)))
def test_a_page_module_calls_services_only(path: Path) -> None:
    assert _problems(path.read_text()) == []
