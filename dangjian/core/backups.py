"""Backup and restore, and the drill that proves a backup can be restored (docs/operations.md,
"Backups"). PostgreSQL is dumped with ``pg_dump -Fc`` and restored with ``pg_restore``; SQLite is
copied with its online backup API (what ``sqlite3 db ".backup file"`` does); uploaded files are
one tar archive of MEDIA_ROOT. The census counts every table's rows (and sums their integer keys)
and hashes every file, so that a restored copy can be compared with the original."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass
class Census:
    rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # table → (rows, sum of integer keys)
    files: dict[str, str] = field(default_factory=dict)  # path under MEDIA_ROOT → sha256


def census(connection: BaseDatabaseWrapper, media: Path | None) -> Census:
    found = Census()
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if model._meta.proxy or not model._meta.managed:
                continue
            table, pk = connection.ops.quote_name(model._meta.db_table), model._meta.pk
            assert pk is not None
            keyed = pk.get_internal_type() in ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField")
            total = f"COALESCE(SUM({connection.ops.quote_name(pk.column or pk.attname)}), 0)" if keyed else "0"
            cursor.execute(f"SELECT COUNT(*), {total} FROM {table}")  # noqa: S608 - names from the models
            rows, keys = cursor.fetchone()
            found.rows[model._meta.db_table] = (int(rows), int(keys))
    if media is not None and media.is_dir():
        for path in sorted(media.rglob("*")):
            if path.is_file():
                with path.open("rb") as file:  # read in chunks: an upload may be large
                    found.files[path.relative_to(media).as_posix()] = hashlib.file_digest(file, "sha256").hexdigest()
    return found


def differences(original: Census, restored: Census) -> list[str]:
    """What the restored copy lacks or has otherwise, one line each (none: it is whole)."""
    found = []
    for table, figures in sorted(original.rows.items()):
        if restored.rows.get(table) != figures:
            found.append(f"{table}: {figures} rows/keys, restored {restored.rows.get(table)}")
    for path, digest in sorted(original.files.items()):
        if restored.files.get(path) != digest:
            found.append(f"file {path}: {'differs' if path in restored.files else 'missing'}")
    return found


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (Debian: postgresql-client)")
    return path


def _pg_env(connection: BaseDatabaseWrapper) -> tuple[list[str], dict[str, str]]:
    params = connection.settings_dict
    args = ["-h", str(params.get("HOST") or "localhost"), "-p", str(params.get("PORT") or 5432)]
    if params.get("USER"):
        args += ["-U", str(params["USER"])]
    env = {**os.environ, **({"PGPASSWORD": str(params["PASSWORD"])} if params.get("PASSWORD") else {})}
    return args, env


def back_up(connection: BaseDatabaseWrapper, media: Path | None, into: Path) -> dict[str, Path]:
    """Write the database (and MEDIA_ROOT's files) into the folder ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if connection.vendor == "postgresql":
        args, env = _pg_env(connection)
        written["database"] = into / "dangjian.dump"
        name = str(connection.settings_dict["NAME"])
        command = [_tool("pg_dump"), "-Fc", *args, "-d", name, "-f", str(written["database"])]
        subprocess.run(command, env=env, check=True)  # noqa: S603 - arguments from the settings
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        written["database"] = into / "dangjian.sqlite3"
        with sqlite3.connect(written["database"]) as copy:
            connection.connection.backup(copy)
    else:
        raise NotImplementedError(connection.vendor)
    if media is not None and media.is_dir():
        written["media"] = into / "media.tar.gz"
        with tarfile.open(written["media"], "w:gz") as archive:
            archive.add(media, arcname="media")
    return written


def restore(connection: BaseDatabaseWrapper, backup: dict[str, Path], *, database: str, work: Path) -> Any:
    """Restore ``backup`` into the new database ``database`` (PostgreSQL, on the same server) or
    file (SQLite) and its files under ``work``; returns a connection to it and the files' folder."""
    settings_dict = dict(connection.settings_dict)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(database)}")
        args, env = _pg_env(connection)
        command = [_tool("pg_restore"), "--no-owner", "--no-privileges", *args, "-d", database, str(backup["database"])]
        subprocess.run(command, env=env, check=True)  # noqa: S603 - arguments from the settings
        settings_dict["NAME"] = database
    else:
        settings_dict["NAME"] = str(backup["database"])
    restored = connection.__class__(settings_dict, alias=f"restored-{database}")
    media = None
    if "media" in backup:
        with tarfile.open(backup["media"]) as archive:
            archive.extractall(work, filter="data")
        media = work / "media"
    return restored, media


def drop(connection: BaseDatabaseWrapper, restored: BaseDatabaseWrapper | None, *, database: str, work: Path) -> None:
    if restored is not None:
        restored.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(database)}")
    shutil.rmtree(work, ignore_errors=True)
