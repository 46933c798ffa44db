"""The real ``pulumi.automation`` calls landfall makes, against a fake ``pulumi`` executable.

``AutomationEngine`` is the only code that imports the Automation API's stack functions; these
tests run it unmodified with a stand-in ``pulumi`` on PATH that records its command lines, answers
``stack select`` / ``stack init`` / ``stack history`` / ``stack output``, and writes engine events
to the ``--event-log`` endpoint (the Automation API's gRPC event server, which it uses for CLI
versions above 3.205; the fake reports 3.210). They pin what reaches the CLI: the
``--config-file Pulumi.<env>.yaml`` of every operation, ``--diff`` and ``--policy-pack`` on
preview, stack creation on first use with the settings file's secrets provider, no creation on
destroy. What the real engine then does is out of reach here.
"""

from __future__ import annotations

import dataclasses
import io
import json
import stat
import sys
from pathlib import Path

import pytest
from project import bootstrapped_copy

from landfall.ops.drain import DrainTools
from landfall.ops.orchestrate import AutomationEngine, Checks, Request, orchestrate

FAKE_PULUMI = r"""
import json, os, sys

import yaml

args = [a for a in sys.argv[1:] if a != "--non-interactive"]
with open(os.environ["FAKE_PULUMI_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\n")

def stack():
    return args[args.index("--stack") + 1]

def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(255)

def settings_file():
    # Only the commands that run the program take --config-file; every other one reads the
    # stack's own settings file, Pulumi.<stack>.yaml (pulumi/pulumi pkg/cmd/pulumi).
    if "--config-file" in args:
        return args[args.index("--config-file") + 1]
    return f"Pulumi.{stack()}.yaml"

def settings():
    try:
        with open(settings_file(), encoding="utf-8") as f:
            return yaml.safe_load(f) or {}
    except FileNotFoundError:
        return {}

def secrets_manager():
    # No secrets provider in the settings file: the passphrase manager, which needs one.
    if "secretsprovider" in settings():
        return
    if not ({"PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"} & set(os.environ)):
        fail("passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
             "PULUMI_CONFIG_PASSPHRASE_FILE environment variables")

def required_config():
    # Keys Pulumi.yaml declares without a default must have a value in the stack's config.
    with open("Pulumi.yaml", encoding="utf-8") as f:
        declared = (yaml.safe_load(f) or {}).get("config") or {}
    config = settings().get("config") or {}
    for key, spec in declared.items():
        if not (isinstance(spec, dict) and "default" in spec) and key not in config:
            fail(f"Stack '{stack()}' is missing configuration value '{key}'")

RUNS_PROGRAM = ("preview", "up", "destroy", "refresh")
if "--config-file" in args and args[0] not in RUNS_PROGRAM:
    fail("unknown flag: --config-file")
existing = set(filter(None, os.environ.get("FAKE_PULUMI_STACKS", "").split(",")))
if args[:1] == ["version"]:
    print("v3.210.0")
elif args[:2] == ["stack", "select"]:
    if stack() not in existing:
        fail(f"no stack named '{stack()}' found")
elif args[:2] == ["stack", "init"]:
    if os.environ.get("FAKE_PULUMI_MAY_CREATE") == "no":
        fail("AccessDenied: s3:PutObject on .pulumi/stacks/ (this role may not create stacks)")
elif args[:2] == ["stack", "history"]:
    if "--show-secrets" in args:
        secrets_manager()
    print(json.dumps([{
        "kind": "update", "startTime": "2025-01-01T00:00:00.000Z", "message": "",
        "environment": {}, "config": {}, "result": "succeeded",
        "endTime": "2025-01-01T00:01:00.000Z", "version": 2,
        "resourceChanges": {"create": 2, "same": 5},
    }]))
elif args[:2] == ["stack", "output"]:
    print(json.dumps({"clusterName": "landfall-test"}))
elif args[0] in RUNS_PROGRAM:
    required_config()
    secrets_manager()
    planning = args[0] == "preview"
    urn = f"urn:pulumi:{stack()}::landfall::aws:ec2/vpc:Vpc::vpc"
    meta = {"op": "create", "urn": urn, "type": "aws:ec2/vpc:Vpc", "provider": ""}
    step = {"metadata": meta, "planning": planning}
    changes = {"create": 1, "same": 7}
    events = [
        {"sequence": 1, "timestamp": 10, "resourcePreEvent": step},
        {"sequence": 2, "timestamp": 13, "resOutputsEvent": step},
        {"sequence": 3, "timestamp": 14,
         "summaryEvent": {"durationSeconds": 4, "resourceChanges": changes}},
    ]
    import grpc
    from pulumi.runtime.proto import events_pb2, events_pb2_grpc

    target = args[args.index("--event-log") + 1].removeprefix("tcp://")
    with grpc.insecure_channel(target) as channel:
        requests = (events_pb2.EventRequest(event=json.dumps(e)) for e in events)
        events_pb2_grpc.EventsStub(channel).StreamEvents(requests)
    print(f"{args[0]} of {stack()} done")
"""


@pytest.fixture
def fake_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``pulumi`` on PATH that records its arguments, one JSON list per line, in the log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pulumi"
    exe.write_text(f"#!{sys.executable}\n{FAKE_PULUMI}")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "pulumi-calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    # As in CI: no passphrase, so only a settings file's secrets provider can decrypt.
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    return log


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    # The settings as `landfall bootstrap` leaves them: the secrets provider and its
    # encryptedkey (a second key would be refused).
    root = bootstrapped_copy(tmp_path / "repo")
    assert "secretsprovider: awskms://" in (root / "Pulumi.test.yaml").read_text()
    return root


def calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def operations(log: Path) -> list[list[str]]:
    """The CLI calls other than ``version`` (which every workspace makes once)."""
    return [c for c in calls(log) if c[:1] != ["version"]]


def table_row(out: str, stack: str) -> list[str]:
    """The cells of ``stack``'s row in the closing summary table."""
    table = out.rsplit(":\n", 1)[1]
    return next(line.split() for line in table.splitlines() if line.startswith(stack + " "))


def passing_checks() -> Checks:
    return Checks(
        which=lambda _: "/usr/bin/pulumi",
        environ={"PULUMI_BACKEND_URL": "s3://landfall-state?region=eu-west-2"},
        run=lambda args: (0, "{}"),
        identity=lambda cfg: [],
        account=lambda cfg, settings: [],
        api=lambda cfg: [],
        leftovers=lambda cfg: [],
        drain=lambda cfg, engine: DrainTools(
            kubectl=lambda args: (0, ""), leftovers=list, sleep=lambda s: None, clock=lambda: 0.0
        ),
        zone_name_servers=lambda domain: ["ns-1.awsdns-01.org"],
        delegated_name_servers=lambda domain: {"ns-1.awsdns-01.org"},
    )


def landfall(request: Request, root: Path) -> tuple[int, str]:
    out = io.StringIO()
    status = orchestrate(request, checks=passing_checks(), out=out, root=root)
    return status, out.getvalue()


def test_preview_passes_config_file_diff_and_policy_pack_and_never_creates_stacks(
    fake_cli: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_STACKS", "test-network,test-cluster,test-gitops")
    pack = repo / "policypack"
    status, out = landfall(Request("test", "preview", policy_packs=(pack,)), repo)
    assert status == 0, out
    ops = operations(fake_cli)
    config = str(repo / "Pulumi.test.yaml")
    assert not any(c[:2] == ["stack", "init"] for c in ops)
    previews = [c for c in ops if c[0] == "preview"]
    assert [c[c.index("--stack") + 1] for c in previews] == [
        "test-network",
        "test-cluster",
        "test-gitops",
    ]
    for preview in previews:
        assert preview[preview.index("--config-file") + 1] == config
        assert preview[preview.index("--policy-pack") + 1] == str(pack)
        assert "--diff" in preview
        assert preview[preview.index("--color") + 1] == "never"
    # the engine's events reached the progress display, the summary reached the table
    assert "+  create" in out and "aws:ec2/vpc:Vpc  vpc" in out
    assert table_row(out, "test-gitops")[:7] == [
        "test-gitops",
        "succeeded",
        "1",
        "0",
        "0",
        "0",
        "7",
    ]


def test_destroy_selects_without_creating_in_reverse_with_the_config_file(
    fake_cli: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_STACKS", "test-network,test-gitops")
    status, out = landfall(Request("test", "destroy"), repo)
    assert status == 0, out
    ops = operations(fake_cli)
    assert not any(c[:2] == ["stack", "init"] for c in ops)
    destroys = [c for c in ops if c[0] == "destroy"]
    assert [c[c.index("--stack") + 1] for c in destroys] == ["test-gitops", "test-network"]
    for destroy in destroys:
        assert destroy[destroy.index("--config-file") + 1] == str(repo / "Pulumi.test.yaml")
        assert "--yes" in destroy
    assert "test-cluster does not exist; nothing to destroy" in out


def test_up_reports_the_update_summary_from_stack_history(
    fake_cli: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_STACKS", "test-network,test-cluster,test-gitops")
    status, out = landfall(Request("test", "up", layer="network"), repo)
    assert status == 0, out
    ups = [c for c in operations(fake_cli) if c[0] == "up"]
    assert len(ups) == 1
    assert ups[0][ups[0].index("--config-file") + 1] == str(repo / "Pulumi.test.yaml")
    assert "--policy-pack" not in ups[0]
    # create 2 / same 5 come from `stack history` (the UpResult summary), not from the events
    assert table_row(out, "test-network")[:7] == [
        "test-network",
        "succeeded",
        "2",
        "0",
        "0",
        "0",
        "5",
    ]


def test_engine_for_a_repo_uses_its_work_dir(fake_cli: Path, repo: Path) -> None:
    stack = AutomationEngine(root=repo).stack("test-network", create=True)
    assert Path(stack.workspace.work_dir) == repo  # type: ignore[attr-defined]


def test_a_preview_role_that_may_not_create_stacks_previews_what_exists(
    fake_cli: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-only preview role cannot write a new stack into the state bucket."""
    monkeypatch.setenv("FAKE_PULUMI_STACKS", "test-network")
    monkeypatch.setenv("FAKE_PULUMI_MAY_CREATE", "no")
    status, out = landfall(Request("test", "preview"), repo)
    assert status == 0, out
    assert [c[c.index("--stack") + 1] for c in operations(fake_cli) if c[0] == "preview"] == [
        "test-network"
    ]
    assert "test-cluster does not exist; nothing to preview" in out


def test_up_creates_a_missing_stack_with_the_settings_files_secrets_provider(
    fake_cli: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_STACKS", "")
    status, out = landfall(Request("test", "up", layer="network"), repo)
    assert status == 0, out
    [init] = [c for c in operations(fake_cli) if c[:2] == ["stack", "init"]]
    assert init[2] == "test-network"
    provider = init[init.index("--secrets-provider") + 1]
    assert provider == "awskms://alias/landfall-test-pulumi?region=eu-west-2"


def test_every_operation_after_the_first_needs_no_stack_settings_file(
    fake_cli: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an up, refresh or destroy the Automation API reads `stack history`, which takes no
    --config-file: with --show-secrets it would need Pulumi.<stack>.yaml's secrets provider
    (absent in CI) or a passphrase, and fail after AWS was already changed."""
    monkeypatch.setenv("FAKE_PULUMI_STACKS", "test-network,test-cluster,test-gitops")
    assert not (repo / "Pulumi.test-network.yaml").exists()
    for operation in ("up", "refresh", "destroy"):
        status, out = landfall(Request("test", operation, layer="network"), repo)
        assert status == 0, out
    histories = [c for c in operations(fake_cli) if c[:2] == ["stack", "history"]]
    assert len(histories) == 3 and not any("--show-secrets" in c for c in histories)


def test_the_local_environment_satisfies_the_projects_declared_config(
    fake_cli: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulumi.yaml's config keys without a default are required of every stack: one the local
    settings lack would fail `pulumi up --stack local-gitops` before the program runs."""
    monkeypatch.setenv("FAKE_PULUMI_STACKS", "local-gitops")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")  # local: the passphrase provider
    checks = dataclasses.replace(
        passing_checks(), environ={"PULUMI_BACKEND_URL": "file://~", "PULUMI_CONFIG_PASSPHRASE": ""}
    )
    out = io.StringIO()
    status = orchestrate(Request("local", "up"), checks=checks, out=out, root=repo)
    assert status == 0, out.getvalue()
