"""Configuration in one typed place: defaults, overrides read when used, unknown keys refused."""

import pytest

from dangjian.core.conf import FIELDS, Config, config, described, override
from dangjian.servicedesk.rates import rules as rates


def test_defaults_and_overrides_are_read_when_used(settings):
    settings.DANGJIAN = {}
    assert config() == Config()
    assert rates.min_sample() == 20
    settings.DANGJIAN = override(RATES_MIN_SAMPLE=5)
    assert rates.min_sample() == 5 and config().reopen_days == 30


def test_a_misspelt_key_is_refused(settings):
    settings.DANGJIAN = override(REOPEN_DAY=10)
    with pytest.raises(KeyError, match="REOPEN_DAY"):
        config()


def test_every_key_says_its_unit_and_rule_and_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for row in described():
        assert row["unit"] and row["rule"], row
        assert f"`{row['key']}`" in doc, row["key"]
    assert len(described()) == len(FIELDS)
