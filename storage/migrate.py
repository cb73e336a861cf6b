"""Run the Alembic migrations from code (the CLI's `db upgrade`, tests, the demo)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

# Alembic resolves "package:folder" through importlib.resources: a checkout and an installed
# wheel alike.
MIGRATIONS = "storage:migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.set_main_option("sqlalchemy.url", url)
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
