"""``landfall preview/up/destroy/refresh/outputs``: the Automation API calls, against a fake.

``FakeEngine`` / ``FakeStack`` implement the part of ``pulumi.automation`` landfall uses and record
every call; they answer with the Automation API's own result, event and error classes, so the
shapes are the real ones. The pre-flight checks get injected stand-ins (PATH lookup, environment,
``pulumi whoami``, STS). What needs the real CLI and AWS is listed in docs/user-guide.md.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError
from project import PROJECT_ROOT, bootstrapped_copy, copy_catalogue
from pulumi.automation import (
    CommandError,
    DestroyResult,
    EngineEvent,
    OpType,
    OutputValue,
    PreviewResult,
    RefreshResult,
    StackNotFoundError,
    UpdateSummary,
    UpResult,
)
from pulumi.automation._cmd import CommandResult

from landfall.cli.main import main
from landfall.config import config_file, load_environment, load_environment_file, read_config_file
from landfall.config.errors import ConfigError, Problem
from landfall.ops.checks import AwsClients
from landfall.ops.drain import DRAIN_TIMEOUT_SECONDS, DrainTools
from landfall.ops.orchestrate import (
    DELEGATION_POLL_SECONDS,
    DELEGATION_TIMEOUT_SECONDS,
    GITHUB_COMMENT_CHARS,
    REPORT_CHARS,
    Checks,
    OrchestrationError,
    Outcome,
    Request,
    aws_identity,
    markdown_report,
    orchestrate,
    preflight,
    stack_names,
    waits_for_delegation,
    zone_urn,
)
from landfall.ops.progress import Progress, StackSummary, summary_table

Call = tuple[str, str, dict[str, Any]]


def event(seq: int, timestamp: int, **payload: Any) -> EngineEvent:
    return EngineEvent.from_json({"sequence": seq, "timestamp": timestamp, **payload})


def step(op: str, name: str, type_: str = "aws:ec2/subnet:Subnet") -> dict[str, Any]:
    urn = f"urn:pulumi:test-network::landfall::{type_}::{name}"
    return {"metadata": {"op": op, "urn": urn, "type": type_, "provider": ""}}


def summary(changes: dict[str, int]) -> UpdateSummary:
    return UpdateSummary(
        kind="update",
        start_time=datetime(2025, 1, 1),
        message="",
        environment={},
        config={},
        result="succeeded",
        resource_changes=changes,  # type: ignore[arg-type]
    )


def engine_error(text: str, cls: type[CommandError] = CommandError) -> CommandError:
    return cls(CommandResult(stdout="", stderr=text, code=255))


class FakeStack:
    def __init__(self, engine: FakeEngine, name: str) -> None:
        self.engine, self.name = engine, name

    def _run(self, op: str, kwargs: dict[str, Any]) -> None:
        self.engine.calls.append((self.name, op, kwargs))
        on_event = kwargs.get("on_event")
        for ev in self.engine.events.get(self.name, ()):
            assert on_event is not None
            on_event(ev)
        if (self.name, op) in self.engine.failures:
            raise engine_error(self.engine.failures[(self.name, op)])

    def preview(self, **kwargs: Any) -> PreviewResult:
        self._run("preview", kwargs)
        return PreviewResult(f"preview of {self.name}", "", {OpType.CREATE: 3, OpType.SAME: 1})

    def up(self, **kwargs: Any) -> UpResult:
        self._run("up", kwargs)
        return UpResult(f"up {self.name}", "", summary({"create": 2, "update": 1}), {})

    def destroy(self, **kwargs: Any) -> DestroyResult:
        self._run("destroy", kwargs)
        return DestroyResult(f"destroy {self.name}", "", summary({"delete": 4}))

    def refresh(self, **kwargs: Any) -> RefreshResult:
        self._run("refresh", kwargs)
        return RefreshResult(f"refresh {self.name}", "", summary({"same": 5}))

    def outputs(self) -> dict[str, OutputValue]:
        self.engine.calls.append((self.name, "outputs", {}))
        return self.engine.outputs.get(self.name, {})


class FakeEngine:
    """Stacks that exist (``existing``), operations that fail, events to stream."""

    def __init__(
        self,
        existing: Iterable[str] = (),
        failures: dict[tuple[str, str], str] | None = None,
        events: dict[str, list[EngineEvent]] | None = None,
        outputs: dict[str, dict[str, OutputValue]] | None = None,
    ) -> None:
        self.existing = set(existing)
        self.failures = failures or {}
        self.events = events or {}
        self.outputs = outputs or {}
        self.calls: list[Call] = []
        self.selected: list[tuple[str, bool]] = []

    def stack(self, name: str, *, create: bool) -> FakeStack:
        self.selected.append((name, create))
        if not create and name not in self.existing:
            raise engine_error(f"error: no stack named '{name}' found", StackNotFoundError)
        self.existing.add(name)
        return FakeStack(self, name)

    def ops(self) -> list[tuple[str, str]]:
        return [(stack, op) for stack, op, _ in self.calls]


class RecordingChecks:
    """Pre-flight stand-ins that pass, and record that they were consulted."""

    def __init__(self, **environ: str) -> None:
        self.consulted: list[str] = []
        self.environ = {"PULUMI_BACKEND_URL": "https://api.pulumi.com", **environ}
        # The drain: the kubectl calls it made, and the AWS leftovers it sees, look by look.
        self.kubectl: list[list[str]] = []
        self.leftovers: list[list[str]] = []
        self.now = 0.0
        self.closed = 0
        self.after_destroy: list[str] = []

    def drain_tools(self, cfg: Any, engine: Any) -> DrainTools:
        def kubectl(args: Any) -> tuple[int, str]:
            self.kubectl.append(list(args))
            if args[:2] == ["get", "services"]:
                lb = {"metadata": {"namespace": "payments", "name": "nlb"}}
                lb["spec"] = {"type": "LoadBalancer"}
                web = {"metadata": {"namespace": "payments", "name": "web"}, "spec": {}}
                return 0, json.dumps({"items": [lb, web]})
            return 0, ""

        def leftovers() -> list[str]:
            return self.leftovers.pop(0) if self.leftovers else []

        def sleep(seconds: float) -> None:
            self.now += seconds

        def close() -> None:
            self.closed += 1

        return DrainTools(kubectl, leftovers, sleep, lambda: self.now, close)

    def build(
        self,
        identity: list[Problem] | None = None,
        cli: bool = True,
        account: list[Problem] | None = None,
        api: list[Problem] | None = None,
    ) -> Checks:
        def which(name: str) -> str | None:
            self.consulted.append(f"which {name}")
            return "/usr/local/bin/pulumi" if cli else None

        def run(args: Any) -> tuple[int, str]:
            self.consulted.append(" ".join(args))
            return 0, json.dumps({"user": "ci", "url": "https://api.pulumi.com"})

        def check_identity(cfg: Any) -> list[Problem]:
            self.consulted.append(f"identity {cfg.environment}")
            return list(identity or [])

        def check_account(cfg: Any, settings: Any) -> list[Problem]:
            self.consulted.append(f"account {cfg.environment}")
            return list(account or [])

        def check_api(cfg: Any) -> list[Problem]:
            self.consulted.append(f"api {cfg.environment}")
            return list(api or [])

        return Checks(
            which=which,
            environ=self.environ,
            run=run,
            identity=check_identity,
            account=check_account,
            api=check_api,
            drain=self.drain_tools,
            leftovers=lambda cfg: list(self.after_destroy),
            # The zone exists and its parent delegates it (the delegation tests vary this).
            zone_name_servers=lambda domain: list(ZONE_NS),
            delegated_name_servers=lambda domain: set(ZONE_NS),
        )


@pytest.fixture(scope="module", autouse=True)
def bootstrapped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The settings files as `landfall bootstrap` leaves them (with their encryptedkey)."""
    global ROOT
    ROOT = bootstrapped_copy(tmp_path_factory.mktemp("project"))
    yield


ROOT = PROJECT_ROOT  # the bootstrapped copy while the tests run
# Stacks that exist (a preview creates none).
DEPLOYED = {
    env: [f"{env}-{layer}" for layer in ("network", "cluster", "gitops")]
    for env in ("test", "prod")
}
ZONE_NS = ("ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk", "ns-3.awsdns-03.com", "ns-4.awsdns-04.net")


def run(
    request: Request, engine: FakeEngine, checks: Checks | None = None, root: Path | None = None
) -> tuple[int, str]:
    root = root or ROOT
    out = io.StringIO()
    ticks = iter(range(0, 10_000, 7))
    status = orchestrate(
        request,
        checks=checks or RecordingChecks().build(),
        engine=engine,
        out=out,
        root=root,
        clock=lambda: float(next(ticks)),
    )
    return status, out.getvalue()


# --- ordering and arguments ---------------------------------------------------------------------


def test_up_runs_network_cluster_gitops_in_order_with_the_environment_config_file() -> None:
    engine = FakeEngine()
    status, out = run(Request("test", "up"), engine)
    assert status == 0
    assert engine.ops() == [("test-network", "up"), ("test-cluster", "up"), ("test-gitops", "up")]
    assert engine.selected == [
        ("test-network", True),
        ("test-cluster", True),
        ("test-gitops", True),
    ]
    for _, _, kwargs in engine.calls:
        assert kwargs["config_file"] == str(ROOT / "Pulumi.test.yaml")
        assert kwargs["color"] == "never"
        assert callable(kwargs["on_event"])
        assert kwargs["policy_packs"] is None
        assert kwargs["show_secrets"] is False  # `stack history` takes no --config-file
    assert "test-network  succeeded  2" in out  # the summary table: 2 created


def test_preview_asks_for_a_diff_and_runs_the_policy_packs(tmp_path: Path) -> None:
    engine = FakeEngine(existing=DEPLOYED["prod"])
    pack = tmp_path / "policypack"
    status, _ = run(Request("prod", "preview", policy_packs=(pack,)), engine)
    assert status == 0
    assert [s for s, _ in engine.ops()] == ["prod-network", "prod-cluster", "prod-gitops"]
    for _, op, kwargs in engine.calls:
        assert op == "preview"
        assert kwargs["diff"] is True
        assert kwargs["policy_packs"] == [str(pack)]
        assert kwargs["config_file"] == str(ROOT / "Pulumi.prod.yaml")


def test_destroy_runs_in_reverse_and_never_creates_stacks() -> None:
    engine = FakeEngine(existing=["test-network", "test-cluster", "test-gitops"])
    status, _ = run(Request("test", "destroy"), engine)
    assert status == 0
    assert engine.ops() == [
        ("test-gitops", "destroy"),
        ("test-cluster", "destroy"),
        ("test-network", "destroy"),
    ]
    assert all(create is False for _, create in engine.selected)


def test_refresh_uses_the_config_file_and_existing_stacks() -> None:
    engine = FakeEngine(existing=["test-network", "test-cluster", "test-gitops"])
    status, out = run(Request("test", "refresh"), engine)
    assert status == 0
    assert [op for _, op in engine.ops()] == ["refresh"] * 3
    assert engine.calls[0][2]["config_file"].endswith("Pulumi.test.yaml")
    assert "same" in out


def test_local_has_only_the_gitops_stack() -> None:
    engine = FakeEngine()
    status, _ = run(Request("local", "up"), engine)
    assert status == 0
    assert engine.ops() == [("local-gitops", "up")]
    assert engine.calls[0][2]["config_file"].endswith("Pulumi.local.yaml")


def test_layer_limits_the_operation_to_one_stack() -> None:
    engine = FakeEngine(existing=DEPLOYED["test"])
    run(Request("test", "preview", layer="cluster"), engine)
    assert engine.ops() == [("test-cluster", "preview")]


def test_a_layer_the_environment_does_not_have_is_refused_before_any_check() -> None:
    engine, checks = FakeEngine(), RecordingChecks()
    with pytest.raises(OrchestrationError, match="the local environment has no network layer"):
        run(Request("local", "up", layer="network"), engine, checks.build())
    assert engine.calls == [] and checks.consulted == []


def test_stack_names_follow_the_environment_layers() -> None:
    cfg = load_environment_file("prod")
    assert stack_names(cfg, "up") == ["prod-network", "prod-cluster", "prod-gitops"]
    assert stack_names(cfg, "destroy") == ["prod-gitops", "prod-cluster", "prod-network"]
    assert stack_names(cfg, "destroy", "cluster") == ["prod-cluster"]


# --- the prod guard -----------------------------------------------------------------------------


def test_destroy_prod_is_refused_without_the_confirmation_flag() -> None:
    engine, checks = FakeEngine(existing=["prod-network"]), RecordingChecks()
    with pytest.raises(OrchestrationError) as caught:
        run(Request("prod", "destroy"), engine, checks.build())
    assert "--yes-destroy-prod" in caught.value.render()
    assert "Nothing was changed." in caught.value.render()
    assert engine.calls == [] and engine.selected == [] and checks.consulted == []


def test_destroy_prod_with_the_flag_runs_in_reverse() -> None:
    engine = FakeEngine(existing=["prod-network", "prod-cluster", "prod-gitops"])
    status, _ = run(Request("prod", "destroy", yes_destroy_prod=True), engine)
    assert status == 0
    assert [s for s, _ in engine.ops()] == ["prod-gitops", "prod-cluster", "prod-network"]


def test_the_cli_refuses_destroy_prod_with_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["destroy", "prod"]) == 2
    err = capsys.readouterr().err
    assert "Cannot landfall destroy prod" in err and "--yes-destroy-prod" in err


def test_destroying_test_needs_no_flag() -> None:
    engine = FakeEngine(existing=["test-gitops"])
    status, _ = run(Request("test", "destroy", layer="gitops"), engine)
    assert status == 0 and engine.ops() == [("test-gitops", "destroy")]


# --- failures -------------------------------------------------------------------------------


def test_up_stops_at_the_first_failed_stack_and_skips_the_rest() -> None:
    engine = FakeEngine(failures={("test-cluster", "up"): "error: creating EKS cluster: denied"})
    status, out = run(Request("test", "up"), engine)
    assert status == 1
    assert engine.ops() == [("test-network", "up"), ("test-cluster", "up")]
    assert "up of test-cluster failed" in out
    assert "creating EKS cluster: denied" in out
    table = out.split("landfall up test:")[1]
    assert "test-cluster  failed" in table
    assert "test-gitops   skipped" in table


def test_destroy_stops_when_a_downstream_stack_fails_so_upstreams_stay() -> None:
    names = ["test-network", "test-cluster", "test-gitops"]
    engine = FakeEngine(existing=names, failures={("test-gitops", "destroy"): "boom"})
    status, _ = run(Request("test", "destroy"), engine)
    assert status == 1
    assert engine.ops() == [("test-gitops", "destroy")]


def test_preview_goes_on_after_a_failed_stack() -> None:
    engine = FakeEngine(
        existing=DEPLOYED["test"], failures={("test-network", "preview"): "error: bad"}
    )
    status, out = run(Request("test", "preview"), engine)
    assert status == 1
    assert [s for s, _ in engine.ops()] == ["test-network", "test-cluster", "test-gitops"]
    assert "test-network  failed" in out


def test_destroying_a_stack_that_does_not_exist_is_not_an_error() -> None:
    engine = FakeEngine(existing=["test-network"])
    status, out = run(Request("test", "destroy"), engine)
    assert status == 0
    assert engine.ops() == [("test-network", "destroy")]
    assert "test-gitops does not exist; nothing to destroy" in out
    assert "test-gitops   absent" in out


def test_report_file_holds_the_table_and_each_stacks_engine_output(tmp_path: Path) -> None:
    report = tmp_path / "preview.md"
    engine = FakeEngine(
        existing=DEPLOYED["test"], failures={("test-gitops", "preview"): "error: gitops broke"}
    )
    run(Request("test", "preview", report_file=report), engine)
    text = report.read_text()
    assert text.startswith("### `landfall preview test` failed")
    assert "| test-network | succeeded | 3 | 0 | 0 | 0 | 1 |" in text
    assert "<summary>test-cluster</summary>" in text and "preview of test-cluster" in text
    assert "error: gitops broke" in text


# --- pre-flight checks --------------------------------------------------------------------------


def test_invalid_config_fails_before_anything_is_touched(tmp_path: Path) -> None:
    shutil.copy(PROJECT_ROOT / "Pulumi.test.yaml", tmp_path / "Pulumi.test.yaml")
    copy_catalogue(tmp_path)
    text = (
        (tmp_path / "Pulumi.test.yaml").read_text().replace("vpcCidr: 10.20.0.0/16", "vpcCidr: x")
    )
    copy_catalogue(tmp_path)
    (tmp_path / "Pulumi.test.yaml").write_text(text)
    engine, checks = FakeEngine(), RecordingChecks()
    with pytest.raises(ConfigError, match=r"network\.vpcCidr"):
        run(Request("test", "up"), engine, checks.build(), root=tmp_path)
    assert engine.selected == [] and checks.consulted == []


def problems_of(checks: Checks, env: str = "test", operation: str = "up") -> list[Problem]:
    return preflight(load_environment_file(env, ROOT), operation, checks, ROOT)


def test_a_missing_pulumi_cli_is_reported_with_how_to_install_it() -> None:
    problems = problems_of(RecordingChecks().build(cli=False))
    assert [p.key for p in problems] == ["pulumi CLI"]
    assert "get.pulumi.com" in problems[0].fix


def test_the_cli_is_not_asked_about_its_backend_when_missing() -> None:
    checks = RecordingChecks()
    checks.environ.pop("PULUMI_BACKEND_URL")
    problems = problems_of(checks.build(cli=False))
    assert "pulumi whoami --json" not in checks.consulted
    assert [p.key for p in problems] == ["pulumi CLI"]


def test_no_backend_when_url_unset_and_whoami_fails() -> None:
    consulted: list[str] = []

    def whoami_fails(args: Any) -> tuple[int, str]:
        consulted.append(" ".join(args))
        return 255, "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI"

    checks = Checks(
        which=lambda _: "/bin/pulumi",
        environ={},
        run=whoami_fails,
        identity=lambda cfg: [],
        account=lambda cfg, settings: [],
        api=lambda cfg: [],
    )
    problems = problems_of(checks)
    assert consulted == ["pulumi whoami --json"]
    assert [p.key for p in problems] == ["state backend"]
    assert "PULUMI_ACCESS_TOKEN must be set" in problems[0].problem
    assert "PULUMI_BACKEND_URL" in problems[0].fix


def test_a_backend_url_in_the_environment_needs_no_whoami() -> None:
    checks = RecordingChecks()
    assert problems_of(checks.build()) == []
    assert "pulumi whoami --json" not in checks.consulted


def without_secrets_provider(env: str) -> str:
    """The committed settings file as it is before the bootstrap adds its secrets provider."""
    text = (PROJECT_ROOT / f"Pulumi.{env}.yaml").read_text()
    return "".join(
        line for line in text.splitlines(keepends=True) if not line.startswith("secretsprovider:")
    )


def test_committed_cloud_settings_name_their_kms_secrets_provider() -> None:
    for env in ("test", "prod"):
        text = (PROJECT_ROOT / f"Pulumi.{env}.yaml").read_text()
        assert f"secretsprovider: awskms://alias/landfall-{env}-pulumi?region=eu-west-2\n" in text


def test_self_managed_backend_needs_a_secrets_provider_in_the_settings_file(tmp_path: Path) -> None:
    copy_catalogue(tmp_path)
    (tmp_path / "Pulumi.test.yaml").write_text(without_secrets_provider("test"))
    checks = RecordingChecks(PULUMI_BACKEND_URL="s3://landfall-state?region=eu-west-2").build()
    cfg = load_environment_file("test", tmp_path)
    problems = preflight(cfg, "up", checks, tmp_path)
    assert [p.key for p in problems] == ["secrets provider"]
    assert "awskms://alias/landfall-test-pulumi" in problems[0].fix
    text = (tmp_path / "Pulumi.test.yaml").read_text()
    provider = "secretsprovider: awskms://alias/landfall-test-pulumi?region=eu-west-2\n"
    copy_catalogue(tmp_path)
    (tmp_path / "Pulumi.test.yaml").write_text(provider + text)
    # Naming the key is not enough: without its encryptedkey every operation rewrites the file.
    (problem,) = preflight(cfg, "up", checks, tmp_path)
    assert "no encryptedkey" in problem.problem
    assert problem.fix.startswith("landfall bootstrap test --account-only")
    copy_catalogue(tmp_path)
    (tmp_path / "Pulumi.test.yaml").write_text(provider + "encryptedkey: AQICAHh=\n" + text)
    assert preflight(cfg, "up", checks, tmp_path) == []


def test_passphrase_provider_without_a_passphrase_is_reported(tmp_path: Path) -> None:
    text = without_secrets_provider("test")
    copy_catalogue(tmp_path)
    (tmp_path / "Pulumi.test.yaml").write_text("encryptionsalt: v1:abc:def\n" + text)
    cfg = load_environment_file("test", tmp_path)
    problems = preflight(cfg, "up", RecordingChecks().build(), tmp_path)
    assert [p.key for p in problems] == ["secrets provider"]
    assert "PULUMI_CONFIG_PASSPHRASE" in problems[0].problem
    ok = RecordingChecks(PULUMI_CONFIG_PASSPHRASE="x").build()
    assert preflight(cfg, "up", ok, tmp_path) == []


def test_local_on_a_file_backend_needs_a_passphrase_variable_even_an_empty_one() -> None:
    cfg = load_environment_file("local")
    without = RecordingChecks(PULUMI_BACKEND_URL="file://~").build()
    (problem,) = preflight(cfg, "up", without, PROJECT_ROOT)
    assert problem.key == "secrets provider" and "PULUMI_CONFIG_PASSPHRASE" in problem.fix
    empty = RecordingChecks(PULUMI_BACKEND_URL="file://~", PULUMI_CONFIG_PASSPHRASE="").build()
    assert preflight(cfg, "up", empty, PROJECT_ROOT) == []


def test_credentials_of_another_account_are_refused_before_any_stack_is_touched() -> None:
    engine = FakeEngine()
    wrong = [Problem("AWS account", "the credentials are for account 999999999999", "switch")]
    with pytest.raises(OrchestrationError) as caught:
        run(Request("test", "up"), engine, RecordingChecks().build(identity=wrong))
    assert "999999999999" in caught.value.render()
    assert engine.selected == []


def test_every_preflight_problem_is_reported_at_once() -> None:
    checks = RecordingChecks()
    checks.environ.pop("PULUMI_BACKEND_URL")
    bad = [Problem("AWS credentials", "no AWS credentials were found", "log in")]
    with pytest.raises(OrchestrationError) as caught:
        run(Request("test", "up"), FakeEngine(), checks.build(identity=bad, cli=False))
    keys = [p.key for p in caught.value.problems]
    assert keys == ["pulumi CLI", "AWS credentials"]
    assert "(2 problems)" in caught.value.render()


def test_local_and_outputs_need_no_aws_credentials() -> None:
    checks = RecordingChecks()
    assert problems_of(checks.build(), "local", "up") == []
    assert problems_of(checks.build(), "test", "outputs") == []
    assert not any(c.startswith("identity") for c in checks.consulted)


class FakeSts:
    def __init__(self, account: str | None) -> None:
        self.account = account

    def get_caller_identity(self) -> dict[str, str]:
        if self.account is None:
            raise NoCredentialsError()
        return {"Account": self.account, "Arn": f"arn:aws:sts::{self.account}:assumed-role/x/y"}


def test_aws_identity_compares_the_caller_account_with_the_config() -> None:
    cfg = load_environment_file("test")  # accountId 111111111111
    assert (
        aws_identity(cfg, AwsClients("eu-west-2", overrides={"sts": FakeSts("111111111111")})) == []
    )
    wrong = aws_identity(cfg, AwsClients("eu-west-2", overrides={"sts": FakeSts("222222222222")}))
    assert len(wrong) == 1 and "222222222222" in wrong[0].problem
    assert "111111111111" in wrong[0].fix
    missing = aws_identity(cfg, AwsClients("eu-west-2", overrides={"sts": FakeSts(None)}))
    assert len(missing) == 1 and "no AWS credentials" in missing[0].problem


# --- outputs --------------------------------------------------------------------------------


def outputs_engine() -> FakeEngine:
    return FakeEngine(
        existing=["test-network", "test-cluster", "test-gitops"],
        outputs={
            "test-cluster": {
                "clusterName": OutputValue("landfall-test", False),
                "notifierRoleArn": OutputValue("arn:aws:iam::111111111111:role/notifier", False),
                "kubeconfig": OutputValue({"apiVersion": "v1"}, True),
            }
        },
    )


def test_outputs_prints_every_stack_as_json_with_secrets_masked() -> None:
    engine = outputs_engine()
    status, out = run(Request("test", "outputs"), engine)
    data = json.loads(out)
    assert status == 0
    assert list(data) == ["test-cluster", "test-gitops", "test-network"]
    assert data["test-cluster"]["kubeconfig"] == "[secret]"
    assert data["test-cluster"]["clusterName"] == "landfall-test"
    assert [op for _, op in engine.ops()] == ["outputs"] * 3


def test_outputs_of_one_value_for_scripts() -> None:
    status, out = run(
        Request("test", "outputs", layer="cluster", output="notifierRoleArn"), outputs_engine()
    )
    assert (status, out) == (0, "arn:aws:iam::111111111111:role/notifier\n")
    status, out = run(
        Request("test", "outputs", layer="cluster", output="kubeconfig", show_secrets=True),
        outputs_engine(),
    )
    assert json.loads(out) == {"apiVersion": "v1"}


def test_outputs_of_one_value_needs_a_layer() -> None:
    with pytest.raises(OrchestrationError, match="--output"):
        run(Request("test", "outputs", output="clusterName"), outputs_engine())


# --- live progress ------------------------------------------------------------------------------


def test_progress_prints_one_line_per_operation_with_a_running_count() -> None:
    out = io.StringIO()
    progress = Progress(out)
    progress.begin("test-network", "up")
    for ev in [
        event(1, 100, resourcePreEvent=step("create", "vpc-private-a")),
        event(2, 100, resourcePreEvent=step("same", "vpc")),
        event(3, 100, resOutputsEvent=step("same", "vpc")),
        event(4, 104, resOutputsEvent=step("create", "vpc-private-a")),
        event(5, 104, resourcePreEvent=step("update", "vpc-private-b")),
        event(6, 110, resOutputsEvent=step("update", "vpc-private-b")),
        event(7, 111, resOpFailedEvent={**step("delete", "vpc-old"), "status": 1, "steps": 1}),
        event(
            8,
            111,
            diagnosticEvent={"message": "error: DependencyViolation\n", "severity": "error"},
        ),
        event(9, 112, summaryEvent={"durationSeconds": 12, "resourceChanges": {"create": 1}}),
    ]:
        progress.on_event(ev)
    lines = out.getvalue().splitlines()
    assert lines[0] == "==> up test-network"
    assert "[   1] +  create" in lines[1] and "vpc-private-a  (4s)" in lines[1]
    assert "[   2] ~  update" in lines[2] and "vpc-private-b  (6s)" in lines[2]
    assert "FAILED delete aws:ec2/subnet:Subnet vpc-old" in lines[3]
    assert lines[4] == "  error: error: DependencyViolation"
    assert len(lines) == 5  # the unchanged vpc prints nothing
    assert (progress.count, progress.unchanged, progress.failures) == (2, 1, 1)
    assert progress.summary_changes == {"create": 1} and progress.summary_seconds == 12


def test_progress_of_a_preview_prints_planned_steps_once() -> None:
    out = io.StringIO()
    progress = Progress(out)
    progress.begin("test-network", "preview")
    planned = {**step("replace", "db", "aws:rds/instance:Instance"), "planning": True}
    progress.on_event(event(1, 5, resourcePreEvent=planned))
    progress.on_event(event(2, 5, resOutputsEvent=planned))
    lines = out.getvalue().splitlines()[1:]
    assert len(lines) == 1
    assert "[   1] +- replace" in lines[0] and "aws:rds/instance:Instance  db" in lines[0]


def test_summary_table_lists_counts_and_durations() -> None:
    table = summary_table(
        [
            StackSummary("test-network", "succeeded", {"create": 3, "replace": 1}, 75.2),
            StackSummary("test-cluster", "skipped", {}, 0.0),
        ]
    )
    header, rule, first, second = table.splitlines()
    assert header.split() == [
        "stack",
        "result",
        "create",
        "update",
        "replace",
        "delete",
        "same",
        "duration",
    ]
    assert set(rule.replace(" ", "")) == {"-"}
    assert first.split() == ["test-network", "succeeded", "3", "0", "1", "0", "0", "1m15s"]
    assert second.split() == ["test-cluster", "skipped", "-", "-", "-", "-", "-", "-"]


# --- DNS delegation (no dns.parentZoneId: a person delegates, `landfall up` waits) ---------------


class Delegation:
    """The zone (absent until the targeted up creates it) and the parent, which starts to
    delegate after ``delegated_after`` looks (never if None); time passes only by sleeping."""

    def __init__(self, engine: FakeEngine, delegated_after: int | None) -> None:
        self.engine, self.delegated_after = engine, delegated_after
        self.looks, self.now = 0, 0.0

    def zone(self, domain: str) -> list[str] | None:
        targeted = any(kw.get("target") for _, op, kw in self.engine.calls if op == "up")
        return list(ZONE_NS) if targeted else None

    def parent(self, domain: str) -> set[str]:
        self.looks += 1
        due = self.delegated_after is not None and self.looks > self.delegated_after
        return set(ZONE_NS) if due else set()

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def checks(self) -> Checks:
        base = RecordingChecks().build()
        return dataclasses.replace(
            base, zone_name_servers=self.zone, delegated_name_servers=self.parent, sleep=self.sleep
        )


def run_waiting(request: Request, engine: FakeEngine, world: Delegation) -> tuple[int, str]:
    out = io.StringIO()
    status = orchestrate(
        request, checks=world.checks(), engine=engine, out=out, root=ROOT, clock=lambda: world.now
    )
    return status, out.getvalue()


def test_first_up_creates_the_zone_alone_prints_its_ns_record_and_waits_for_it() -> None:
    engine = FakeEngine()
    world = Delegation(engine, delegated_after=3)
    status, out = run_waiting(Request("test", "up"), engine, world)
    assert status == 0
    network = [kw for name, op, kw in engine.calls if name == "test-network"]
    assert network[0]["target"] == [zone_urn(load_environment_file("test", ROOT))]
    assert "target" not in network[1]  # then the whole stack, certificate included
    assert "test.landfall.example.com. 3600 IN NS ns-1.awsdns-01.org." in out
    assert world.looks == 4 and world.now == 3 * DELEGATION_POLL_SECONDS
    assert "is delegated; continuing" in out


def test_an_undelegated_zone_stops_the_up_before_the_certificate_hangs() -> None:
    engine = FakeEngine()
    world = Delegation(engine, delegated_after=None)
    status, out = run_waiting(Request("test", "up"), engine, world)
    assert status == 1
    assert [kw.get("target") is not None for _, _, kw in engine.calls] == [True]  # zone only
    assert world.now >= DELEGATION_TIMEOUT_SECONDS
    table = out.split("landfall up test:")[1]
    assert "test-network  failed" in table and "test-cluster  skipped" in table
    assert "landfall doctor test" in out


def test_a_parent_zone_id_means_no_waiting() -> None:
    raw = read_config_file(config_file("test", ROOT))
    raw["landfall:dns"] = {**raw["landfall:dns"], "parentZoneId": "Z0123456789ABCDEFGHIJ"}
    cfg = load_environment("test", raw)
    assert not waits_for_delegation(cfg, Request("test", "up"), "test-network")
    plain = load_environment_file("test", ROOT)
    assert waits_for_delegation(plain, Request("test", "up"), "test-network")
    assert not waits_for_delegation(plain, Request("test", "preview"), "test-network")


def test_the_zone_urn_is_the_one_the_network_stack_declares() -> None:
    golden = json.loads((PROJECT_ROOT / "golden" / "test.json").read_text())
    zones = [
        r["urn"]
        for r in golden["stacks"]["network"]["resources"]
        if r["type"] == "aws:route53/zone:Zone"
    ]
    assert zones == [zone_urn(load_environment_file("test", ROOT))]


def test_a_platform_up_or_preview_needs_the_accounts_bootstrap() -> None:
    missing = [Problem("service-linked roles", "missing: X", "landfall bootstrap test")]
    for operation in ("up", "preview"):
        checks = RecordingChecks()
        engine = FakeEngine()
        with pytest.raises(OrchestrationError, match="landfall bootstrap test"):
            run(Request("test", operation), engine, checks.build(account=missing))
        assert engine.selected == [] and "account test" in checks.consulted
    # The bootstrap stack itself, and a destroy, do not need it.
    for request in (Request("test", "up", layer="bootstrap"), Request("test", "destroy")):
        checks = RecordingChecks()
        status, _ = run(request, FakeEngine(), checks.build(account=missing))
        assert status == 0 and "account test" not in checks.consulted


def test_a_preview_never_creates_a_stack() -> None:
    engine = FakeEngine(existing=["test-network"])
    status, out = run(Request("test", "preview"), engine)
    assert status == 0
    assert engine.selected == [
        ("test-network", False),
        ("test-cluster", False),
        ("test-gitops", False),
    ]
    assert engine.ops() == [("test-network", "preview")]
    assert "test-cluster does not exist; nothing to preview" in out


def test_a_machine_that_cannot_reach_the_cluster_api_is_told_before_anything_runs() -> None:
    unreachable = [Problem("cluster endpoint", "cannot reach", "run it inside the VPC")]
    for request in (Request("prod", "up"), Request("prod", "preview", layer="gitops")):
        checks = RecordingChecks()
        engine = FakeEngine(existing=DEPLOYED["prod"])
        with pytest.raises(OrchestrationError, match="run it inside the VPC"):
            run(request, engine, checks.build(api=unreachable))
        assert engine.calls == []
    # The network stack alone never talks to the cluster.
    checks = RecordingChecks()
    status, _ = run(
        Request("prod", "up", layer="network"), FakeEngine(), checks.build(api=unreachable)
    )
    assert status == 0 and "api prod" not in checks.consulted


def test_both_environments_reports_fit_in_one_github_comment(tmp_path: Path) -> None:
    """GitHub refuses a comment over 65,536 characters; the PR comment is both environments'
    reports under one header. Each keeps within its budget and keeps the end of every stack's
    output (errors and summaries are last); the whole output goes to the .full.txt beside it."""
    huge = {name: ("x" * 99 + "\n") * 1_000 + f"END OF {name}" for name in DEPLOYED["prod"]}
    outcome = Outcome(
        rows=[StackSummary(n, "succeeded", {"same": 1}, 1.0) for n in huge], details=huge
    )
    reports = [markdown_report(Request(env, "preview"), outcome) for env in ("test", "prod")]
    header = "## Pulumi preview (landfall)\n\n"  # pull-request.yml's comment step
    assert len(header + "\n".join(reports)) <= GITHUB_COMMENT_CHARS
    for report in reports:
        assert len(report) <= REPORT_CHARS
        assert all(f"END OF {name}" in report for name in huge)
        assert report.count("truncated: the whole output is in the workflow run's artifact") == 3


def test_the_report_file_has_the_whole_output_beside_it(tmp_path: Path) -> None:
    report = tmp_path / "preview.md"
    run(Request("test", "preview", report_file=report), FakeEngine(existing=DEPLOYED["test"]))
    full = (tmp_path / "preview.md.full.txt").read_text()
    assert [line for line in full.splitlines() if line.startswith("==> ")] == [
        "==> test-network",
        "==> test-cluster",
        "==> test-gitops",
    ]


# --- destroy drains the cluster first ------------------------------------------------------------


def test_destroy_drains_the_cluster_before_the_gitops_stack_goes() -> None:
    checks = RecordingChecks()
    checks.leftovers = [["load balancer k8s-payments-nlb"], []]  # gone at the second look
    engine = FakeEngine(existing=DEPLOYED["test"])
    status, out = run(Request("test", "destroy"), engine, checks.build())
    assert status == 0
    verbs = [" ".join(c[:3]) for c in checks.kubectl]
    assert verbs == [
        "patch kustomizations.kustomize.toolkit.fluxcd.io flux-system",  # Flux stops first
        "patch kustomizations.kustomize.toolkit.fluxcd.io apps",
        "get services --all-namespaces",
        "delete helmreleases.helm.toolkit.fluxcd.io -A",  # the apps, while controllers run
        "delete service nlb",  # the NLB Service only, not the ClusterIP one
        "delete ingresses.networking.k8s.io --all-namespaces",
        "delete targetgroupbindings.elbv2.k8s.aws --all-namespaces",
        "delete persistentvolumeclaims --all-namespaces",
    ]
    assert engine.ops() == [
        ("test-gitops", "destroy"),
        ("test-cluster", "destroy"),
        ("test-network", "destroy"),
    ]
    assert "waiting for 1 AWS object(s)" in out
    assert checks.closed == 1  # the kubeconfig file is removed once the drain is over


def test_the_real_drain_tools_remove_their_kubeconfig_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from landfall.config import load_environment_file
    from landfall.ops.orchestrate import real_drain_tools

    class Stack:
        def outputs(self) -> dict[str, Any]:
            return {"kubeconfig": "apiVersion: v1"}

    class Engine:
        def stack(self, name: str, create: bool) -> Stack:
            return Stack()

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tools = real_drain_tools(load_environment_file("test", PROJECT_ROOT), Engine())  # type: ignore[arg-type]
    [kubeconfig] = list(tmp_path.glob("*.kubeconfig"))
    assert kubeconfig.read_text() == "apiVersion: v1"
    tools.close()
    assert not list(tmp_path.iterdir())


def test_what_the_drain_cannot_remove_stops_the_destroy_with_the_list() -> None:
    checks = RecordingChecks()
    stuck = ["EBS volume vol-0123", "security group sg-0456 (k8s-traffic-test)"]
    checks.leftovers = [stuck] * 1_000
    engine = FakeEngine(existing=DEPLOYED["test"])
    status, out = run(Request("test", "destroy"), engine, checks.build())
    assert status == 1 and engine.ops() == []  # nothing was destroyed
    assert checks.now >= DRAIN_TIMEOUT_SECONDS
    assert "EBS volume vol-0123; security group sg-0456" in out
    table = out.split("landfall destroy test:")[1]
    assert "test-gitops   failed" in table and "test-network  skipped" in table


def test_the_local_environment_has_nothing_to_drain() -> None:
    checks = RecordingChecks()
    engine = FakeEngine(existing=["local-gitops"])
    status, _ = run(Request("local", "destroy"), engine, checks.build())
    assert status == 0 and checks.kubectl == []


def test_a_destroy_ends_with_what_it_left_behind() -> None:
    checks = RecordingChecks()
    checks.after_destroy = ["EBS volume vol-0123"]
    status, out = run(
        Request("test", "destroy"), FakeEngine(existing=DEPLOYED["test"]), checks.build()
    )
    assert status == 0
    summary = out.split("Left behind:", 1)[1]
    assert "EBS volume vol-0123 (made by the cluster's controllers)" in summary
    assert "kept by design" not in summary  # test retains nothing
    assert "test-bootstrap" in summary
    checks = RecordingChecks()
    status, out = run(
        Request("prod", "destroy", yes_destroy_prod=True),
        FakeEngine(existing=DEPLOYED["prod"]),
        checks.build(),
    )
    summary = out.split("Left behind:", 1)[1]
    assert "nothing the cluster's controllers made" in summary and "kept by design" in summary


def test_a_missing_encryptedkey_is_reported_once(tmp_path: Path) -> None:
    """The offline check names it; the account check (which decrypts it) does not run then."""
    text = (PROJECT_ROOT / "Pulumi.test.yaml").read_text()  # secretsprovider, no encryptedkey
    copy_catalogue(tmp_path)
    (tmp_path / "Pulumi.test.yaml").write_text(text)
    checks = RecordingChecks(PULUMI_BACKEND_URL="s3://landfall-state?region=eu-west-2")
    again = [Problem("secrets provider", "no encryptedkey", "landfall bootstrap test")]
    cfg = load_environment_file("test", tmp_path)
    problems = preflight(cfg, "up", checks.build(account=again), tmp_path)
    assert [p.key for p in problems] == ["secrets provider"]
    assert "account test" not in checks.consulted
