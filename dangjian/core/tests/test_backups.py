"""The backup drill: back up, restore into a scratch copy, find every row and file again (run on
SQLite and on PostgreSQL in CI: pg_dump and pg_restore for real)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from dangjian.core import backups
from tests.factories import make_person

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_drill_restores_every_row_and_file(world, tmp_path):
    make_person(world.users.admin, world.grid_a1, "备份")
    media = tmp_path / "media"
    (media / "development" / "2026").mkdir(parents=True)
    (media / "development" / "2026" / "申请书.pdf").write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 40)
    (media / "imports").mkdir()
    (media / "imports" / "roster.xlsx").write_bytes(b"PK\x03\x04" + b"x" * 1000)
    out = StringIO()
    with override_settings(MEDIA_ROOT=str(media)):
        call_command("backup_drill", stdout=out)
    text = out.getvalue()
    assert "every table and every file restored" in text
    assert ", 2 files;" in text
    people = [n for table, (n, _keys) in backups.census(connection, None).rows.items() if table == "people_person"]
    assert people and people[0] >= 1


def test_a_restored_copy_that_lost_anything_is_told_apart(world, tmp_path):
    """The comparison the drill rests on: a missing row, another key, a missing or changed file."""
    media = tmp_path / "media"
    media.mkdir()
    (media / "a.txt").write_text("甲", encoding="utf-8")
    (media / "b.txt").write_text("乙", encoding="utf-8")
    original = backups.census(connection, media)
    assert backups.differences(original, backups.census(connection, media)) == []
    copy = backups.census(connection, media)
    rows, keys = copy.rows["people_person"]
    copy.rows["people_person"] = (rows - 1, keys)
    copy.rows["orgs_region"] = (copy.rows["orgs_region"][0], copy.rows["orgs_region"][1] + 1)
    del copy.files["a.txt"]
    copy.files["b.txt"] = "0" * 64
    lost = backups.differences(original, copy)
    assert len(lost) == 4
    assert any(line.startswith("people_person:") for line in lost) and "file a.txt: missing" in lost
