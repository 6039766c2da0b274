"""Apply the Alembic migrations shipped in `storage/migrations` to a database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest), in one transaction."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(_config(c), revision))


async def pending_revisions(engine: AsyncEngine) -> list[str]:
    """Migrations not yet applied, oldest first."""

    def _pending(connection: Any) -> list[str]:
        current = MigrationContext.configure(connection).get_current_heads()
        script = ScriptDirectory.from_config(_config(connection))
        revisions = script.iterate_revisions("heads", current or "base")
        return [r.revision for r in reversed(list(revisions)) if r.revision not in current]

    async with engine.connect() as conn:
        return await conn.run_sync(_pending)
