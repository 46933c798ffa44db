"""The CLI explains itself: every verb's help (what it does, what it needs, examples, exit codes),
``--version``, argument errors reported with the verb's usage before anything runs, and the
``landfall plan`` / ``landfall diff-envs`` reports (readable at 100 columns, mock values marked,
a closing "Next:" line, layers in deployment order, identity-only differences counted)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from project import PROJECT_ROOT

import landfall.plan.golden
import landfall.plan.harness
from landfall.cli import main as cli
from landfall.cli.output import EXIT_CODES, verb_epilog, wrap_line
from landfall.plan.envdiff import Identity, diff_environments
from landfall.plan.harness import EnvironmentPlan
from landfall.plan.inventory import normalize
from landfall.plan.report import COMPUTED, made_up

VERB_CODES = {
    "plan": [0, 1, 2, 3],
    "diff-envs": [0, 2],
    "doctor": [0, 1, 2],
    "verify": [0, 1, 2],
    "bootstrap": [0, 1, 2],
    "preview": [0, 1, 2],
    "up": [0, 1, 2],
    "destroy": [0, 1, 2],
    "refresh": [0, 1, 2],
    "outputs": [0, 1, 2],
    "service": [0, 1, 2],
}
NEEDS = {
    "plan": "No AWS credentials, no Pulumi CLI",
    "diff-envs": "offline",
    "doctor": "AWS credentials",
    "verify": "AWS credentials",
    "bootstrap": "credentials of an administrator",
    "preview": "the Pulumi CLI",
    "up": "the Pulumi CLI",
    "destroy": "the Pulumi CLI",
    "refresh": "the Pulumi CLI",
    "outputs": "the Pulumi CLI",
    "service": "nothing but this repository",
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``landfall ARGV`` in-process: (exit status, stdout, stderr), whether the parser exits
    (SystemExit) or the verb returns."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def no_planning(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any call of the harness fails the test (and is recorded)."""
    calls: list[str] = []

    def refuse(env: str, root: Any = None) -> EnvironmentPlan:
        calls.append(env)
        raise AssertionError(f"planned {env} although the arguments were bad")

    monkeypatch.setattr(landfall.plan.harness, "plan_environment", refuse)
    return calls


@pytest.fixture
def cached_plans(
    monkeypatch: pytest.MonkeyPatch, env_plan: Callable[[str], EnvironmentPlan]
) -> Callable[[str], EnvironmentPlan]:
    """``landfall plan`` over the session's plans instead of planning again."""
    monkeypatch.setattr(landfall.plan.harness, "plan_environment", lambda env, root: env_plan(env))
    return env_plan


# --- help and version -----------------------------------------------------------------------------


@pytest.mark.parametrize("verb", sorted(VERB_CODES))
def test_every_verb_explains_itself(
    verb: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run([verb, "--help"], capsys)
    assert code == 0
    usage, _, rest = out.partition("\n\n")
    assert usage.startswith(f"usage: landfall {verb} ")
    description = rest.split("\n\n")[0]
    assert len(description.split()) > 15, description  # says what it does, in sentences
    assert NEEDS[verb] in rest.replace("\n", " ")
    examples = out.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    assert f"  landfall {verb} " in examples
    codes = out.split("exit codes:\n", 1)[1]
    listed = [int(line.split()[0]) for line in codes.strip().splitlines()]
    assert listed == VERB_CODES[verb]
    for code in listed:
        assert f"  {code}  {EXIT_CODES[code]}" in codes
    assert max(len(line) for line in out.splitlines()) <= 100


def test_the_top_level_help_lists_every_verb_on_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    verbs = out.split("verbs:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    listed = {line.split()[0]: line for line in verbs if line.startswith("    ")}
    assert set(listed) == set(VERB_CODES)
    assert all(len(line.split(maxsplit=1)) == 2 for line in listed.values())  # help beside it
    assert "--version" in out and "exit codes:" in out


def test_version(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out == f"landfall {importlib.metadata.version('landfall')}\n"

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert run(["--version"], capsys)[1] == "landfall unknown\n"


def test_epilog_keeps_examples_within_the_width() -> None:
    text = verb_epilog([("landfall plan test", "x" * 120)], [0])
    assert max(len(line) for line in text.splitlines()) > 100  # the comment alone is too long
    short = verb_epilog([("landfall plan test", "short"), ("landfall plan prod", "")], [0, 2])
    assert "  landfall plan test  # short" in short and "  2  " in short


# --- argument errors: the verb's usage, exit 2, nothing run ------------------------------------


@pytest.mark.parametrize(
    ("argv", "verb"),
    [
        (["plan", "test", "--bogus"], "plan"),
        (["plan", "test", "extra"], "plan"),
        (["diff-envs", "test", "prod", "--nope"], "diff-envs"),
        (["up", "test", "--layer", "database"], "up"),
        (["doctor", "test", "--verbose"], "doctor"),
    ],
)
def test_a_bad_argument_shows_the_verbs_usage(
    argv: list[str], verb: str, capsys: pytest.CaptureFixture[str], no_planning: list[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"usage: landfall {verb} ")
    assert f"landfall {verb}: error: " in err
    assert not no_planning


def test_an_unknown_environment_is_named_with_the_valid_ones(
    capsys: pytest.CaptureFixture[str], no_planning: list[str]
) -> None:
    code, out, err = run(["plan", "staging"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("usage: landfall plan ")
    assert (
        "argument env: 'staging' is not an environment; use one of local, test, prod "
        "(each has a Pulumi.<env>.yaml)" in err
    )
    assert "copy" not in err.lower() and "Traceback" not in err
    assert not no_planning


@pytest.mark.parametrize("env", ["../etc", "Pulumi.test.yaml", "./test"])
def test_a_path_is_not_an_environment(
    env: str, capsys: pytest.CaptureFixture[str], no_planning: list[str]
) -> None:
    code, _, err = run(["plan", env], capsys)
    assert code == 2
    assert f"argument env: {env!r} is not an environment" in err and "not a path" in err
    assert "local, test, prod" in err and "copy" not in err.lower()


@pytest.mark.parametrize("verb", ["diff-envs", "preview", "verify"])
def test_every_verb_checks_environment_names(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [verb, "test", "qa"] if verb == "diff-envs" else [verb, "qa"]
    code, _, err = run(argv, capsys)
    assert code == 2 and err.startswith(f"usage: landfall {verb} ")
    assert "'qa' is not an environment" in err


def test_diff_envs_needs_two_different_environments(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["diff-envs", "test", "test", "--golden"], capsys)
    assert code == 2 and "two different environments" in err


def test_json_into_a_missing_directory_fails_before_planning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_planning: list[str]
) -> None:
    target = tmp_path / "reports" / "plan.json"
    code, out, err = run(["plan", "test", "--json", str(target)], capsys)
    assert code == 2 and out == ""  # not even the "Planning ..." line
    assert "--json" in err and f"mkdir -p {tmp_path / 'reports'}" in err
    assert len(err.strip().splitlines()) == 2 and "Nothing was planned" in err
    assert not no_planning and not target.parent.exists()


def test_json_onto_a_directory_fails_before_planning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_planning: list[str]
) -> None:
    code, _, err = run(["plan", "test", "--json", str(tmp_path)], capsys)
    assert code == 2 and "--json" in err and "is a directory" in err
    assert not no_planning


def test_a_missing_baseline_fails_instead_of_switching_the_guard_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_planning: list[str]
) -> None:
    missing = tmp_path / "base-prod.json"
    code, out, err = run(["plan", "prod", "--baseline", str(missing), "--fail-on-replace"], capsys)
    assert code == 2 and out == ""
    assert f"--baseline {missing}: no such file" in err and "Traceback" not in err
    assert not no_planning


@pytest.mark.parametrize(
    ("content", "complaint"),
    [("not json", "is not JSON"), ("[1, 2]", "not a landfall inventory")],
)
def test_a_baseline_that_is_not_an_inventory_fails_before_planning(
    content: str,
    complaint: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_planning: list[str],
) -> None:
    path = tmp_path / "base.json"
    path.write_text(content)
    code, _, err = run(["plan", "prod", "--baseline", str(path)], capsys)
    assert code == 2 and "--baseline" in err and complaint in err
    assert not no_planning


def test_a_report_file_in_a_missing_directory_fails_before_the_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import landfall.ops.orchestrate

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("orchestrated although --report-file cannot be written")

    monkeypatch.setattr(landfall.ops.orchestrate, "orchestrate", refuse)
    target = tmp_path / "missing" / "preview.md"
    code, _, err = run(["preview", "test", "--report-file", str(target)], capsys)
    assert code == 2 and "--report-file" in err and "does not exist" in err


# --- the plan report ------------------------------------------------------------------------------

EC2_ID = re.compile(r"\b[a-z]+-[0-9a-f]{17}\b")


def settings_of(out: str) -> list[str]:
    """The lines of every "security / cost settings:" section of a plan summary."""
    found, inside = [], False
    for line in out.splitlines():
        if line.startswith("== "):
            inside = False
        elif line.strip() == "security / cost settings:":
            inside = True
        elif inside:
            found.append(line)
    return found


@pytest.mark.parametrize("env", ["test", "prod", "local"])
def test_plan_output_fits_100_columns_and_ends_with_next(
    env: str,
    capsys: pytest.CaptureFixture[str],
    cached_plans: Callable[[str], EnvironmentPlan],
) -> None:
    code, out, _ = run(["plan", env], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"Planning {env} from ") and lines[0].endswith(
        "(offline, under mocks)"
    )
    assert max(len(line) for line in lines[1:]) <= 100
    assert f"Same inventory as golden/{env}.json." in out
    closing = out.strip().split("\n\n")[-1]
    assert closing.startswith("Next: all checks passed") and f"landfall preview {env}" in closing
    assert all(line.startswith("      ") for line in closing.splitlines()[1:])
    # Four layers (with alarms and backups), fresh-account, Kubernetes and the cost estimate.
    assert len(lines) < 175
    assert ("== monthly cost drivers: a ROUGH ESTIMATE" in out) is (env != "local")  # no AWS


def test_plan_marks_values_the_mocks_made_up(
    capsys: pytest.CaptureFixture[str], cached_plans: Callable[[str], EnvironmentPlan]
) -> None:
    out = run(["plan", "test"], capsys)[1]
    settings = "\n".join(settings_of(out))
    assert settings, out
    assert not EC2_ID.search(settings)  # the NAT gateway's subnet ID
    assert "arn:aws:iam::111111111111" not in settings  # roles, the mocked caller
    assert "AWSReservedSSO_" not in settings  # the SSO role lookup's made-up suffix
    assert f"principalArn={COMPUTED}, kubernetesGroups=['platform-admins']" in settings
    # What the program sets is still shown as set.
    assert "policyArn='arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy'" in (
        settings.replace("\n       ", " ")
    )
    assert "multiAz=False" in settings and "sslPolicy='ELBSecurityPolicy-TLS13-1-2-2021-06'" in (
        settings
    )
    assert COMPUTED in out.split("== ")[0]  # the note says what the mark means


def test_plan_counts_are_compact_and_identical_settings_share_a_line(
    capsys: pytest.CaptureFixture[str], cached_plans: Callable[[str], EnvironmentPlan]
) -> None:
    out = run(["plan", "test"], capsys)[1]
    assert "aws:ec2/subnet:Subnet x9" in out and "aws:ec2/vpc:Vpc," in out
    # The rotating keys share one entry, the DNSSEC signing key (no rotation) has its own.
    assert (
        "dns-security-query-logs, kms-cluster, kms-data, kms-operations, kms-registry, kms-secrets:"
        in out
    )
    assert "dns-security-ksk: enableKeyRotation=None" in out
    assert "protected and retained on delete: none" in out


def test_next_says_fix_or_exempt_when_a_policy_fails(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env_plan: Callable[[str], EnvironmentPlan],
) -> None:
    planned = env_plan("test")
    stripped = planned.config.model_copy(update={"policy_exemptions": []})
    without = dataclasses.replace(planned, config=stripped)
    monkeypatch.setattr(landfall.plan.harness, "plan_environment", lambda env, root: without)
    code, out, _ = run(["plan", "test"], capsys)
    assert code == 1
    closing = out.strip().split("\n\n")[-1].replace("\n      ", " ")
    assert closing.startswith("Next: fix the violations above, or document")
    assert "landfall:policyExemptions in Pulumi.test.yaml" in closing
    assert max(len(line) for line in out.splitlines()[1:]) <= 100


def test_next_says_update_golden_when_the_inventory_changed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cached_plans: Callable[[str], EnvironmentPlan],
) -> None:
    golden = normalize(cached_plans("test").as_json(), PROJECT_ROOT)
    golden["stacks"]["network"]["resources"].pop()
    path = tmp_path / "test.json"
    path.write_text(json.dumps(golden))
    monkeypatch.setattr(landfall.plan.golden, "golden_path", lambda env, root: path)
    code, out, _ = run(["plan", "test"], capsys)
    assert code == 0 and "1 added" in " ".join(out.split())  # the line may wrap anywhere
    closing = out.strip().split("\n\n")[-1].replace("\n      ", " ")
    assert "`landfall plan test --update-golden`" in closing and closing.startswith("Next: if")


def test_next_warns_about_stateful_replacements(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cached_plans: Callable[[str], EnvironmentPlan],
) -> None:
    baseline = normalize(cached_plans("prod").as_json(), PROJECT_ROOT)
    for r in baseline["stacks"]["network"]["resources"]:
        if r["type"] == "aws:rds/instance:Instance":
            r["inputs"]["storageEncrypted"] = False
    path = tmp_path / "base-prod.json"
    path.write_text(json.dumps(baseline))
    code, out, _ = run(["plan", "prod", "--baseline", str(path), "--fail-on-replace"], capsys)
    assert code == 3
    assert "STATEFUL RESOURCES AT RISK in prod" in out
    assert max(len(line) for line in out.splitlines()[1:]) <= 100
    assert out.strip().split("\n\n")[-1].startswith("Next: change the program so the stateful")


def test_a_plan_that_cannot_write_its_json_says_so(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cached_plans: Callable[[str], EnvironmentPlan],
) -> None:
    target = tmp_path / "plan.json"
    code, out, _ = run(["plan", "local", "--json", str(target)], capsys)
    assert code == 0 and f"Wrote the full inventory to {target}" in out
    assert json.loads(target.read_text())["environment"] == "local"


@pytest.mark.parametrize(
    "value",
    [
        "subnet-0a679c40b1ebb4658",
        ["sg-0123456789abcdef0"],
        "arn:aws:iam::111111111111:role/deployer",
        "arn:aws:rds:eu-west-2:222222222222:db:landfall-prod",
        "landfall-prod.placeholder.eu-west-2.rds.amazonaws.com",
        "111111111111.dkr.ecr.eu-west-2.amazonaws.com/payments",
        "ci-notifier-ce01dda",
        {"role": "AROAPLACEHOLDER:landfall"},
    ],
)
def test_made_up_values_are_recognised(value: Any) -> None:
    assert made_up(value)


@pytest.mark.parametrize(
    "value",
    [
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        "v1.33.0-eksbuild.2",
        "flux-system",
        "com.amazonaws.eu-west-2.ecr.api",
        "sts.amazonaws.com",
        ["m6i.large", "m5a.large"],
        "203.0.113.0/24",
        True,
        7,
        None,
    ],
)
def test_settings_are_not_mistaken_for_made_up_values(value: Any) -> None:
    assert not made_up(value)


def test_wrap_line_breaks_at_spaces_and_indents_continuations() -> None:
    line = "   exempted  policy (1 finding(s)): " + " ".join(["word"] * 40)
    wrapped = wrap_line(line)
    assert len(wrapped) > 1 and all(len(piece) <= 100 for piece in wrapped)
    assert all(piece.startswith("       word") for piece in wrapped[1:])
    assert " ".join(p.strip() for p in wrapped) == line.strip()
    assert wrap_line("x" * 120) == ["x" * 120]  # one word longer than a line stays whole
    urn = "urn:pulumi:prod-network::landfall::landfall:network:Database$aws:rds/instance:Instance"
    cut = wrap_line(f"      urn: {urn}::database")
    assert cut == [f"      urn: {urn}::", "          database"]  # a URN is cut after a "::"


# --- diff-envs ------------------------------------------------------------------------------------


def test_diff_envs_goes_in_deployment_order_and_summarises_identity_differences(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["diff-envs", "test", "prod", "--golden"], capsys)
    assert code == 0
    layers = [line.split(":")[0][3:] for line in out.splitlines() if line.startswith("== ")]
    assert layers == ["bootstrap", "network", "cluster", "gitops"]
    sections = dict(zip(layers, out.split("\n== ")[1:], strict=True))
    assert "principalArn" not in out  # ARNs differing only by account
    assert "StackReference" not in out  # test-network vs prod-network
    assert "'./clusters/test'" not in out  # a path differing only by the environment's name
    summary = "14 values differ only by account/region/environment name (not listed)"
    assert summary in sections["cluster"]
    assert "3 values differ only by account/region/environment name" in sections["gitops"]
    # its bootstrap StackReference and the alarms' names (landfall-<env>-...)
    assert "15 values differ only by" in sections["network"]
    assert "multiAz" in sections["network"]  # real differences are still listed


def resource(env: str, layer: str, type_: str, name: str, **inputs: Any) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:{env}-{layer}::landfall::{type_}::{name}",
        "type": type_,
        "name": name,
        "inputs": inputs,
        "options": {"protect": False, "retainOnDelete": False},
    }


def inventory(env: str, account: str, layers: dict[str, list[dict]]) -> dict[str, Any]:
    provider = {
        "type": "pulumi:providers:aws",
        "name": "aws",
        "inputs": {"allowedAccountIds": [account], "region": "eu-west-2"},
        "options": {},
    }
    return {
        "environment": env,
        "stacks": {
            layer: {
                "resources": [
                    {**provider, "urn": f"urn:pulumi:{env}-{layer}::landfall::aws::aws"},
                    *resources,
                ]
            }
            for layer, resources in layers.items()
        },
    }


def test_identity_only_differences_are_counted_and_real_ones_listed() -> None:
    entry = "aws:eks/accessEntry:AccessEntry"
    ref = "pulumi:pulumi:StackReference"

    def env_inventory(env: str, account: str, other_account: str) -> dict[str, Any]:
        return inventory(
            env,
            account,
            {
                "gitops": [resource(env, "gitops", ref, f"{env}-cluster")],
                "cluster": [
                    resource(env, "cluster", ref, f"{env}-network"),
                    resource(
                        env,
                        "cluster",
                        entry,
                        "mine",
                        principalArn=f"arn:aws:iam::{account}:role/deployer",
                    ),
                    resource(
                        env,
                        "cluster",
                        entry,
                        "theirs",
                        principalArn=f"arn:aws:iam::{other_account}:role/auditor",
                    ),
                ],
            },
        )

    test = env_inventory("test", "111111111111", "333333333333")
    prod = env_inventory("prod", "222222222222", "444444444444")
    text = diff_environments("test", test, "prod", prod)
    assert text.index("== cluster") < text.index("== gitops")
    assert "only in" not in text  # test-network and prod-network are the same reference
    # Another account is a real difference: listed.
    assert "theirs" in text and "333333333333" in text and "444444444444" in text
    assert "mine " not in text
    assert "2 values differ only by account/region/environment name" in text  # mine + reference
    assert "1 value differs only by" in text  # gitops: the reference to the cluster


def test_identity_replaces_whole_words_only() -> None:
    identity = Identity("test", frozenset({"111111111111"}), frozenset({"eu-west-2"}))
    assert identity.neutral("landfall-test-eu-west-2") == "landfall-<env>-<region>"
    assert identity.neutral(["latest", "arn:aws:iam::111111111111:root"]) == [
        "latest",
        "arn:aws:iam::<account>:root",
    ]


def test_diff_envs_without_a_golden_file_says_how_to_make_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import landfall.plan.envdiff

    monkeypatch.setattr(
        landfall.plan.envdiff, "golden_path", lambda env, root: tmp_path / f"{env}.json"
    )
    code, _, err = run(["diff-envs", "test", "prod", "--golden"], capsys)
    assert code == 2
    assert "golden/test.json is missing" in err and "landfall plan test --update-golden" in err


def test_the_golden_inventories_are_unchanged_by_the_report() -> None:
    """The report reads inventories; it never modifies them."""
    golden = json.loads((PROJECT_ROOT / "golden" / "test.json").read_text())
    before = copy.deepcopy(golden)
    diff_environments("test", golden, "test", golden)
    assert golden == before
