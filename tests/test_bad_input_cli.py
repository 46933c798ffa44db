"""The README's promise for bad settings, end to end through `landfall plan`: one message, exit
status 2, no traceback, nothing declared. One case per class of mistake (the loader, the
values AWS and Kubernetes accept, cross-field and per-environment rules); the finer points of
each rule are tested in test_config_loading.py and test_config_rules.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from project import PROJECT_ROOT

import landfall.plan.harness.runner as runner
from landfall.cli.main import main

Edit = Callable[[str], str]


def replace(old: str, new: str) -> Edit:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


# Each level refers to the one before ten times: 10^8 values once expanded.
ALIAS_BOMB = "\n".join(
    ["  landfall:tags:", '    a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    + [
        f"    {name}: &{name} [" + ",".join([f"*{previous}"] * 10) + "]"
        for previous, name in zip("abcdefg", "bcdefgh", strict=True)
    ]
)
TAGS = "  landfall:tags:\n    CostCentre: platform-test\n    Owner: platform-team\n"
PROD_EXEMPTION = (
    "  landfall:policyExemptions:\n"
    "    - {policy: rds-multi-az, reason: saving money in prod for now}\n"
)

# (environment, what is wrong, the edit, a key the message must name)
CASES: list[tuple[str, str, Edit, str]] = [
    (
        "test",
        "duplicate key",
        replace("    branch: main\n", "    branch: main\n    branch: dev\n"),
        "gitops.branch",
    ),
    ("test", "alias bomb", replace(TAGS, ALIAS_BOMB + "\n"), "landfall:tags"),
    ("test", "misspelt namespace", replace("  landfall:tags:", "  landfal:tags:"), "landfal:tags"),
    (
        "test",
        "instance type that does not exist",
        replace("m6a.large", "m6z.large"),
        "instanceTypes",
    ),
    ("test", "GPU type on the standard AMI", replace("m6a.large", "g5.large"), "instanceTypes"),
    (
        "test",
        "arm and x86 in one node group",
        replace("m6a.large, m5.large", "m7g.large, m5.large"),
        "instanceTypes",
    ),
    (
        "test",
        "spot types of very different sizes",
        replace("m5a.large]", "m5a.8xlarge]"),
        "instanceTypes",
    ),
    (
        "prod",
        "no nodes in prod",
        replace("      minSize: 2\n      desiredSize: 2", "      minSize: 0\n      desiredSize: 0"),
        "desiredSize",
    ),
    (
        "test",
        "half the internet split in quarters",
        replace("[203.0.113.0/24]", "[0.0.0.0/2, 64.0.0.0/2, 128.0.0.0/2]"),
        "endpointPublicAccessCidrs",
    ),
    (
        "test",
        "a private range as a public endpoint CIDR",
        replace("[203.0.113.0/24]", "[192.168.10.0/24]"),
        "endpointPublicAccessCidrs",
    ),
    ("test", "VPC in public address space", replace("10.20.0.0/16", "8.20.0.0/16"), "vpcCidr"),
    ("test", "VPC larger than /16", replace("10.20.0.0/16", "10.16.0.0/12"), "vpcCidr"),
    (
        "test",
        "retention CloudWatch does not accept",
        replace("flowLogRetentionDays: 30", "flowLogRetentionDays: 45"),
        "flowLogRetentionDays",
    ),
    (
        "test",
        "region that does not exist",
        replace("landfall:region: eu-west-2", "landfall:region: eu-west-9"),
        "region",
    ),
    ("test", "empty branch", replace("    branch: main\n", '    branch: ""\n'), "branch"),
    (
        "test",
        "branch that is no git ref",
        replace("    branch: main\n", "    branch: feature..x\n"),
        "branch",
    ),
    ("test", "zero interval", replace("    interval: 5m\n", "    interval: 0s\n"), "interval"),
    (
        "test",
        "services listed in the settings instead of the catalogue",
        replace(
            "  landfall:gitops:\n",
            "  landfall:services:\n    - {name: payments}\n  landfall:gitops:\n",
        ),
        "services",
    ),
    (
        "test",
        "reserved tag prefix",
        replace("    Owner: platform-team", "    aws:owner: platform-team"),
        "tags",
    ),
    (
        "test",
        "tag value over 256 characters",
        replace("    Owner: platform-team", "    Owner: " + "x" * 300),
        "tags",
    ),
    (
        "prod",
        "prod exempting a baseline policy",
        replace("    interval: 10m\n", "    interval: 10m\n" + PROD_EXEMPTION),
        "policyExemptions",
    ),
    (
        "test",
        "Kubernetes version read as a number",
        replace('kubernetesVersion: "1.35"', "kubernetesVersion: 1.30"),
        "kubernetesVersion",
    ),
    (
        "test",
        "unknown Flux version",
        replace("    interval: 5m\n", "    interval: 5m\n    fluxVersion: 2.1.0\n"),
        "fluxVersion",
    ),
    (
        "test",
        "CI repository not owner/name",
        replace("repository: example/landfall ", "repository: landfall "),
        "ci.repository",
    ),
    (
        "prod",
        "backup copies in the environment's own region",
        replace("copyRegion: eu-west-1", "copyRegion: eu-west-2"),
        "backups.copyRegion",
    ),
    (
        "prod",
        "backup copies in a region that does not exist",
        replace("copyRegion: eu-west-1", "copyRegion: eu-west-7"),
        "copyRegion",
    ),
    ("test", "whole file a list", lambda text: "- a\n- b\n", "Pulumi.test.yaml"),
]


@pytest.mark.parametrize(
    ("env", "edit", "key"),
    [pytest.param(env, edit, key, id=what) for env, what, edit, key in CASES],
)
def test_bad_settings_get_one_message_exit_2_and_nothing_declared(
    env: str,
    edit: Edit,
    key: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "services.yaml").write_text((PROJECT_ROOT / "services.yaml").read_text())
    settings = (PROJECT_ROOT / f"Pulumi.{env}.yaml").read_text()
    (tmp_path / f"Pulumi.{env}.yaml").write_text(edit(settings))
    declared: list[str] = []
    monkeypatch.setattr(runner, "run_layer", lambda *args, **kwargs: declared.append("layer"))
    assert main(["plan", env, "--cwd", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert declared == []
    assert "Traceback" not in err
    assert err.count("Invalid environment configuration") == 1, err
    assert key in err, err
    assert "Fix:" in err and "Fix: correct it" not in err
    assert max(len(line) for line in err.splitlines()) <= 400


def test_the_committed_settings_pass_the_same_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the unedited files get past validation to the layers."""
    declared: list[str] = []

    def record(env: str, layer: str, *args: object, **kwargs: object) -> object:
        declared.append(layer)
        raise SystemExit(0)  # stop at the first layer: validation passed

    monkeypatch.setattr(runner, "run_layer", record)
    for env in ("local", "test", "prod"):
        with pytest.raises(SystemExit):
            main(["plan", env, "--cwd", str(PROJECT_ROOT)])
    assert declared == ["gitops", "bootstrap", "bootstrap"]
