"""The sample spreadsheets of docs/samples import into the demo data as their docstring says: the
valid rows are imported, the one bad row of each is reported, and nothing else."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from dangjian.accounts.models import User
from dangjian.core.importing import importer_for
from dangjian.demo import samples
from dangjian.orgs.models import Region
from tests.factories import as_actor

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"


@pytest.mark.django_db
def test_the_samples_import_into_the_demo_with_one_problem_each():
    call_command("seed_demo", scale="tiny", seed=5, stdout=io.StringIO())
    street, secretary = User.objects.get(username="street"), User.objects.get(username="secretary")
    community = Region.objects.get(code="420107001001")
    expected = {  # file → (importer, who, where, valid rows, the bad row)
        "组织架构导入表-示例.xlsx": ("trees", street, Region.objects.get(code="420107001"), 5, 7),
        "居民信息采集表-示例.xlsx": ("residents", secretary, community, 5, 7),
        "工作人员账号导入表-示例.xlsx": ("staff", secretary, community, 2, 4),
    }
    assert set(samples.samples()) == set(expected)
    for name, (key, user, target, valid, bad_row) in expected.items():
        content = (SAMPLES / name).read_bytes()
        importer = importer_for(key)
        actor = as_actor(user)
        plan = importer.plan(content, name, target=target, actor=actor)
        assert (plan.valid, [p.row for p in plan.errors]) == (valid, [bad_row]), (name, plan.errors)
        assert importer.apply(plan, actor=actor).created == valid
