"""R28: the EKS release calendar, and the plan's verdict on the cluster's version by date."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

import landfall.cli.plan
import landfall.plan.harness
from landfall.cli import main as cli
from landfall.cli.plan import kubernetes_support
from landfall.config import config_file, load_environment, read_config_file
from landfall.logic.versions import (
    ADDON_VERSIONS,
    RELEASE_CALENDAR,
    SUPPORT_WARNING_DAYS,
    SUPPORTED_KUBERNETES_VERSIONS,
    next_version,
    support_status,
)
from landfall.plan.harness import EnvironmentPlan

END_OF_135 = datetime.date(2027, 3, 27)


def config(env: str, **cluster: object):
    raw = read_config_file(config_file(env))
    raw["landfall:cluster"] = {**raw["landfall:cluster"], **cluster}
    return load_environment(env, raw)


def test_every_supported_version_is_in_the_calendar_and_follows_the_eks_lifecycle():
    """EKS: 14 months of standard support from release, then 12 months of extended support."""
    assert set(RELEASE_CALENDAR) == set(SUPPORTED_KUBERNETES_VERSIONS)
    for version, row in RELEASE_CALENDAR.items():
        months = (row.end_of_standard_support.year - row.eks_release.year) * 12 + (
            row.end_of_standard_support.month - row.eks_release.month
        )
        assert months == 14, version
        assert row.end_of_extended_support == row.end_of_standard_support.replace(
            year=row.end_of_standard_support.year + 1
        ), version


def test_the_committed_environments_run_a_version_in_standard_support_today_and_in_60_days():
    for env in ("test", "prod"):
        version = config(env).cluster.kubernetes_version
        assert version == max(
            SUPPORTED_KUBERNETES_VERSIONS, key=lambda v: tuple(map(int, v.split(".")))
        )
        assert RELEASE_CALENDAR[version].end_of_standard_support > datetime.date(2026, 12, 2)


def test_versions_are_upgraded_one_minor_at_a_time():
    assert next_version("1.33") == "1.34" and next_version("1.34") == "1.35"
    assert next_version(SUPPORTED_KUBERNETES_VERSIONS[-1]) is None
    assert set(ADDON_VERSIONS) == set(SUPPORTED_KUBERNETES_VERSIONS)


@pytest.mark.parametrize(
    ("days_before_end", "env", "passed", "verdict"),
    [
        (SUPPORT_WARNING_DAYS + 1, "prod", True, "OK"),
        (SUPPORT_WARNING_DAYS, "test", True, "WARNING"),
        (SUPPORT_WARNING_DAYS, "prod", False, "FAILED"),
        (-10, "prod", False, "FAILED"),
    ],
)
def test_the_plan_warns_in_test_and_fails_in_prod_near_the_end(
    days_before_end, env, passed, verdict
):
    on = END_OF_135 - datetime.timedelta(days=days_before_end)
    support = kubernetes_support(config(env), on)
    assert support.passed is passed
    assert f"   {verdict} Kubernetes 1.35" in support.summary
    if verdict != "OK":
        assert "upgrade to" in support.summary or "add the next version" in support.summary


def test_past_the_end_the_message_names_the_extended_support_cost():
    status = support_status("1.34", datetime.date(2026, 12, 12))
    assert status.days_left == -10 and status.due
    assert "six times the control-plane fee" in status.describe()
    assert "2027-12-02" in status.describe()


def test_an_acknowledgement_lets_prod_pass_for_that_version_only():
    on = END_OF_135 - datetime.timedelta(days=30)
    support = kubernetes_support(config("prod", supportEndAcknowledged="1.35"), on)
    assert support.passed and "ACKNOWLEDGED" in support.summary
    from landfall.config import ConfigError

    with pytest.raises(ConfigError, match="supportEndAcknowledged"):
        config("prod", supportEndAcknowledged="1.34")


def test_landfall_plan_prod_exits_1_near_the_end_of_support(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env_plan: Callable[[str], EnvironmentPlan],
) -> None:
    monkeypatch.setattr(landfall.plan.harness, "plan_environment", lambda env, root: env_plan(env))
    monkeypatch.setattr(landfall.cli.plan, "today", lambda: datetime.date(2027, 2, 1))
    assert cli.main(["plan", "prod"]) == 1
    out = capsys.readouterr().out
    assert "FAILED Kubernetes 1.35 leaves EKS standard support on 2027-03-27, in 54 days" in out
    assert "Next: upgrade Kubernetes one minor version per deploy" in out
