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

import io
import json
import stat
import sys
from pathlib import Path

import pytest
from project import bootstrapped_copy

from landfall.ops.orchestrate import AutomationEngine, Checks, Request, orchestrate

FAKE_PULUMI = r"""
import json, os, sys

args = [a for a in sys.argv[1:] if a != "--non-interactive"]
with open(os.environ["FAKE_PULUMI_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\n")

def stack():
    return args[args.index("--stack") + 1]

existing = set(filter(None, os.environ.get("FAKE_PULUMI_STACKS", "").split(",")))
if args[:1] == ["version"]:
    print("v3.210.0")
elif args[:2] == ["stack", "select"]:
    if stack() not in existing:
        print(f"error: no stack named '{stack()}' found", file=sys.stderr)
        sys.exit(255)
elif args[:2] == ["stack", "init"]:
    pass
elif args[:2] == ["stack", "history"]:
    print(json.dumps([{
        "kind": "update", "startTime": "2025-01-01T00:00:00.000Z", "message": "",
        "environment": {}, "config": {}, "result": "succeeded",
        "endTime": "2025-01-01T00:01:00.000Z", "version": 2,
        "resourceChanges": {"create": 2, "same": 5},
    }]))
elif args[:2] == ["stack", "output"]:
    print(json.dumps({"clusterName": "landfall-test"}))
elif args[0] in ("preview", "up", "destroy", "refresh"):
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
        zone_name_servers=lambda domain: ["ns-1.awsdns-01.org"],
        delegated_name_servers=lambda domain: {"ns-1.awsdns-01.org"},
    )


def landfall(request: Request, root: Path) -> tuple[int, str]:
    out = io.StringIO()
    status = orchestrate(request, checks=passing_checks(), out=out, root=root)
    return status, out.getvalue()


def test_preview_creates_missing_stacks_and_passes_config_file_diff_and_policy_pack(
    fake_cli: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PULUMI_STACKS", "test-network")
    pack = repo / "policypack"
    status, out = landfall(Request("test", "preview", policy_packs=(pack,)), repo)
    assert status == 0, out
    ops = operations(fake_cli)
    config = str(repo / "Pulumi.test.yaml")
    # test-network exists and is selected; the other two are created with the secrets provider
    # that Pulumi.test.yaml names.
    selects = [c for c in ops if c[:2] == ["stack", "select"]]
    assert [c[c.index("--stack") + 1] for c in selects] == [
        "test-network",
        "test-cluster",
        "test-gitops",
    ]
    inits = [c for c in ops if c[:2] == ["stack", "init"]]
    assert [c[2] for c in inits] == ["test-cluster", "test-gitops"]
    for init in inits:
        provider = init[init.index("--secrets-provider") + 1]
        assert provider == "awskms://alias/landfall-test-pulumi?region=eu-west-2"
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
