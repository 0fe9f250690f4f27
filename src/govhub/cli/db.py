"""`govhub db upgrade|current|revision`: the schema is changed only by these commands, never silently."""

from __future__ import annotations

import re
from pathlib import Path

import click
from alembic import command
from alembic.runtime.migration import MigrationContext

from govhub.cli.common import load_settings
from govhub.db import MIGRATIONS_DIR, alembic_config, create_sync_engine, migration_heads

VERSIONS_DIR = MIGRATIONS_DIR / "versions"


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    settings = load_settings()
    command.upgrade(alembic_config(settings.database_url), revision)
    click.echo(f"database at {_current(settings.database_url) or 'base'}")


@db.command()
def current() -> None:
    """Show the revision the database is at, and whether that is the head."""
    settings = load_settings()
    revision = _current(settings.database_url)
    heads = migration_heads()
    state = "head" if revision in heads else f"behind; head is {', '.join(heads)}"
    click.echo(f"{revision or 'base (no migrations applied)'} ({state})")


@db.command()
@click.argument("name")
@click.option("-m", "--message", required=True, help="What the migration does and why, in one sentence.")
@click.option("--empty", is_flag=True, help="Write an empty migration (for data changes); compare nothing.")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the file here instead of the versions folder (to review it before it joins the history).",
)
def revision(name: str, message: str, *, empty: bool, output_dir: Path | None) -> None:
    """Write the next migration, src/govhub/migrations/versions/v<NNNN>_NAME.py, with revision id <NNNN>_NAME.

    Without --empty, Alembic compares the models with the configured database, which must be at head (run
    `govhub db upgrade` first, so that only your change is compared), and writes what differs. Read and edit
    the file before committing it: it runs on SQLite (batch mode) and on PostgreSQL. NAME is a short
    snake_case label, such as consent_agreements."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{2,40}", name):
        raise click.BadParameter("use 3 to 41 lowercase letters, digits and underscores", param_hint="NAME")
    settings = load_settings()
    heads = migration_heads()
    if not empty and (now := _current(settings.database_url)) not in heads:
        raise click.ClickException(
            f"the database is at {now or 'base (no migrations applied)'}, not at head ({', '.join(heads)}): "
            "run `govhub db upgrade` first, so that only your change is compared"
        )
    config = alembic_config(settings.database_url)
    config.set_main_option("file_template", "v%%(rev)s")
    directory = VERSIONS_DIR
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        directory = output_dir
        config.set_main_option("version_locations", f"{VERSIONS_DIR} {output_dir}")
        config.set_main_option("path_separator", "space")
    written = command.revision(
        config,
        message=message,
        autogenerate=not empty,
        rev_id=f"{_next_number():04d}_{name}",
        version_path=str(directory),
    )
    for script in written if isinstance(written, list) else [written]:
        if script is not None:
            click.echo(f"wrote {script.path}")


def _next_number() -> int:
    """One more than the highest `v<NNNN>_` file: the numbers order the history for people; Alembic
    orders it by each file's down_revision."""
    numbers = [
        int(found.group(1))
        for path in VERSIONS_DIR.glob("v*.py")
        if (found := re.match(r"v(\d{4})_", path.name))
    ]
    return max(numbers, default=0) + 1


def _current(database_url: str) -> str | None:
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
