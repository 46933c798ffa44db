"""The service catalogue (issue 17): `landfall service new` adds a service everywhere it must
exist, `landfall service check` finds every disagreement, listener priorities never move, and
sixty services stay fast to plan and build."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from fleet_support import (
    ManifestValidator,
    load_objects,
    placeholder_environment,
    substitute_objects,
)
from project import PROJECT_ROOT
from stack_queries import of_type, one

from landfall.cli.main import main
from landfall.config.catalogue import CatalogueEntry
from landfall.config.model import listener_priority
from landfall.plan.harness import plan_environment
from landfall.service.check import check_services
from landfall.service.scaffold import write_service

pytestmark = pytest.mark.xdist_group("service-catalogue")


def project_copy(dest: Path) -> Path:
    """The repository's tracked and new files (no goldens, no virtual environment)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        source = PROJECT_ROOT / name
        if name.startswith("golden/") or not source.is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest


def build(root: Path, folder: str) -> list[dict]:
    done = subprocess.run(
        ["kubectl", "kustomize", str(root / "fleet" / folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return load_objects(done.stdout)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if (p.is_file() and "fleet" in p.parts) or p.name == "services.yaml"
    }


@pytest.fixture(scope="module")
def with_accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = project_copy(tmp_path_factory.mktemp("accounts"))
    status = main(
        ["service", "new", "accounts", "--team", "ledger", "--database", "--cwd", str(root)]
    )
    assert status == 0
    return root


def test_the_repository_agrees_with_its_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_services(PROJECT_ROOT) == []
    assert main(["service", "check", "--cwd", str(PROJECT_ROOT)]) == 0
    assert "agree" in capsys.readouterr().out


def test_a_new_service_passes_the_check(with_accounts: Path) -> None:
    assert check_services(with_accounts) == []


@pytest.mark.parametrize("env", ["test", "prod"])
def test_a_new_service_gets_its_role_repositories_and_target_group(
    with_accounts: Path, env: str
) -> None:
    plan = plan_environment(env, root=with_accounts)
    network, cluster = plan.stacks["network"], plan.stacks["cluster"]
    assert "accounts" in network.outputs["imageRepositoryUrls"]
    assert "charts/accounts" in network.outputs["chartRepositoryUrls"]
    assert "accounts" in network.outputs["targetGroupArns"]
    assert "accounts" in cluster.outputs["serviceRoleArns"]
    rules = {
        r.name: r.inputs["priority"] for r in of_type(network, "aws:lb/listenerRule:ListenerRule")
    }
    # payments keeps the priority it had before; the new service takes the next one.
    assert rules["alb-payments"] == 1 and rules["alb-accounts"] == 2
    role = one(cluster, "aws:iam/rolePolicy:RolePolicy", "service-accounts")
    assert "rds-db:connect" in role.inputs["policy"] and "es:ESHttp" not in role.inputs["policy"]
    configmap = one(plan.stacks["gitops"], "kubernetes:core/v1:ConfigMap", "environment")
    assert configmap.inputs["data"]["DATABASE_SERVICES"].split() == ["payments", "accounts"]


@pytest.mark.parametrize("env", ["local", "test", "prod"])
def test_a_new_services_fleet_folders_build_and_validate(with_accounts: Path, env: str) -> None:
    objects = build(with_accounts, f"apps/{env}")
    values = dict(placeholder_environment(env))
    values |= {"ACCOUNTS_ROLE_ARN": "arn:aws:iam::1:role/a", "ACCOUNTS_TARGET_GROUP_ARN": "arn:x"}
    validator = ManifestValidator()
    accounts = [
        o
        for o in substitute_objects(yaml.safe_dump_all(objects), values)
        if "accounts" in (o["metadata"].get("namespace"), o["metadata"].get("name"))
    ]
    kinds = {o["kind"] for o in accounts}
    expected = {
        "Namespace",
        "ServiceAccount",
        "HelmRelease",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }
    if env != "local":
        expected |= {"Ingress", "TargetGroupBinding"}
    assert expected <= kinds, kinds
    for obj in accounts:
        assert validator.errors(obj) == [], obj["kind"]
    release = next(o for o in accounts if o["kind"] == "HelmRelease")
    assert release["spec"]["values"]["replicaCount"] == {"local": 1, "test": 2, "prod": 3}[env]
    if env == "local":  # the chart comes from the fleet repository: it must be there
        chart = release["spec"]["chart"]["spec"]["chart"]
        assert (
            yaml.safe_load((with_accounts / "fleet" / chart / "Chart.yaml").read_text())["name"]
            == "accounts"
        )


@pytest.mark.parametrize(
    "removed,words",
    [
        ("fleet/apps/cloud/accounts", "fleet/apps/cloud/accounts/: missing"),
        ("fleet/apps/test/accounts.yaml", "fleet/apps/test/accounts.yaml: missing"),
        ("fleet/apps/base/accounts", "fleet/apps/base/accounts/: missing"),
        ("fleet/apps/local/accounts", "fleet/apps/local/accounts/: missing"),
        ("fleet/charts/accounts", "fleet/charts/accounts/: missing"),
    ],
)
def test_deleting_a_services_manifests_fails_the_check(
    with_accounts: Path,
    tmp_path: Path,
    removed: str,
    words: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(with_accounts, root)
    target = root / removed
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    assert main(["service", "check", "--cwd", str(root)]) == 1
    assert words in capsys.readouterr().err


def test_manifests_without_a_service_and_wrong_sizes_fail_the_check(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    (root / "fleet/apps/base/ghost").mkdir()
    overlay = root / "fleet/apps/prod/payments.yaml"
    overlay.write_text(overlay.read_text().replace("replicaCount: 3", "replicaCount: 4"))
    test_overlay = root / "fleet/apps/test/payments.yaml"
    test_overlay.write_text(test_overlay.read_text().replace("maxReplicas: 4", "maxReplicas: 8"))
    problems = check_services(root)
    assert any("fleet/apps/base/ghost/: no service ghost" in p for p in problems)
    assert any("replicaCount is 4, the catalogue says 3" in p for p in problems)
    assert any(
        "test/payments.yaml: autoscaling is" in p and "'maxReplicas': 4" in p for p in problems
    )


@pytest.mark.parametrize(
    "sizing",
    [{"maxReplicas": 4}, {"replicas": 1, "maxReplicas": 4}, {"replicas": 5, "maxReplicas": 4}],
)
def test_an_autoscaling_range_needs_replicas_between_two_and_its_maximum(sizing) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="maxReplicas 4 needs replicas between 2 and 4"):
        CatalogueEntry.model_validate(
            {"name": "svc", "team": "t", "environments": {"test": sizing}}
        )


def test_a_new_service_scales_with_an_hpa_in_the_cloud(with_accounts: Path) -> None:
    """`service new` gives the cloud overlays the chart's HPA (the payments chart's
    `autoscaling`, valid against its schema) and keeps local at a fixed count."""
    import jsonschema

    schema = json.loads((with_accounts / "fleet/charts/accounts/values.schema.json").read_text())
    for env, bounds in (("test", (2, 4)), ("prod", (3, 6))):
        release = yaml.safe_load((with_accounts / f"fleet/apps/{env}/accounts.yaml").read_text())
        autoscaling = release["spec"]["values"]["autoscaling"]
        assert autoscaling == {"enabled": True, "minReplicas": bounds[0], "maxReplicas": bounds[1]}
        jsonschema.validate(autoscaling, schema["properties"]["autoscaling"])
    local = (with_accounts / "fleet/apps/local/accounts").rglob("*.yaml")
    assert not any("autoscaling" in path.read_text() for path in local)


def test_services_in_the_settings_are_refused(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    settings = root / "Pulumi.test.yaml"
    settings.write_text(settings.read_text() + "  landfall:services:\n    - {name: payments}\n")
    assert any("Pulumi.test.yaml: lists landfall:services" in p for p in check_services(root))


@pytest.mark.parametrize(
    "args,words",
    [
        (["payments", "--team", "x"], "is in the catalogue already"),
        (["kube-system", "--team", "x"], "kube-system"),
        (
            ["accounts", "--team", "x", "--listener-priority", "1"],
            "same ALB listener-rule priority 1",
        ),
        (["accounts", "--team", "Bad Team"], "team"),
        (["Accounts", "--team", "x"], "name"),
    ],
)
def test_bad_new_services_get_one_message_and_change_nothing(
    tmp_path: Path, args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project_copy(tmp_path)
    before = snapshot(root)
    assert main(["service", "new", *args, "--cwd", str(root)]) == 2
    assert words in capsys.readouterr().err
    assert snapshot(root) == before


def test_derived_priorities_are_stable_and_in_their_own_range() -> None:
    assert listener_priority("accounts") == listener_priority("accounts")
    assert all(1000 <= listener_priority(f"svc-{i}") < 50000 for i in range(200))


def sixty(root: Path) -> Path:
    for i in range(59):
        write_service(
            root,
            CatalogueEntry.model_validate(
                {
                    "name": f"svc-{i:02d}",
                    "team": "t",
                    "listenerPriority": 10 + i,
                    "database": i % 2 == 0,
                    "search": i % 3 == 0,
                    "environments": {"test": {"replicas": 2}, "prod": {"replicas": 3}},
                }
            ),
        )
    return root


def plan_seconds(root: Path) -> float:
    """CPU time (user and system) of `landfall plan test` in ``root``, as a user runs it: CPU
    time, not wall time, so that the other tests running beside this one do not skew it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        ["landfall", "plan", "test", "--cwd", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_sixty_services_pass_the_check_build_fast_and_plan_in_bounded_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one_service = project_copy(tmp_path / "one")
    many = sixty(project_copy(tmp_path / "many"))
    assert check_services(many) == []
    started = time.perf_counter()
    objects = build(many, "apps/test") + build(many, "apps/prod")
    build_seconds = time.perf_counter() - started
    assert len([o for o in objects if o["kind"] == "HelmRelease"]) == 120
    assert build_seconds < 60
    # Interleaved, best of three each: both sides see the same machine load.
    runs = [(plan_seconds(one_service), plan_seconds(many)) for _ in range(3)]
    base, scaled = min(r[0] for r in runs), min(r[1] for r in runs)
    with capsys.disabled():
        print(
            f"\nlandfall plan test (CPU): 1 service {base:.1f}s, 60 services {scaled:.1f}s "
            f"({scaled / base:.2f}x); fleet apps/test+prod built in {build_seconds:.1f}s"
        )
    assert scaled / base <= SCALE_BOUND


# Issue 17's bound. Measured as CPU time on a 2-core VM: 1.24-1.35x at the end of the
# 2026-12-02 sessions (1.29x with a CPU-bound process beside it); docs/services.md.
SCALE_BOUND = 1.5


@pytest.mark.parametrize(
    "secret_names,secret_fields",
    [(["kubeconfig"], {"kubeconfig"}), ([], set()), (None, {"kubeconfig", "clusterName"})],
)
def test_reading_upstream_outputs_keeps_their_secrecy(secret_names, secret_fields) -> None:
    """The fast reader marks a field secret exactly as the SDK's require_output would: when the
    upstream stack names it secret, or, naming none, when its outputs are secret."""
    import pulumi

    from landfall.program.outputs import require_output

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            outputs = {"kubeconfig": "apiVersion: v1", "clusterName": "landfall-test"}
            if secret_names is None:
                outputs = pulumi.Output.secret(outputs)  # type: ignore[assignment]
            return "ref", {
                "name": args.inputs["name"],
                "outputs": outputs,
                "secretOutputNames": secret_names,
            }

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, None]:
            return {}, None

    pulumi.runtime.set_mocks(Mocks(), project="p", stack="s", preview=False)
    ref = pulumi.StackReference("upstream", stack_name="o/p/test-cluster")
    found = {}
    for name in ("kubeconfig", "clusterName"):
        output = require_output(ref, name)
        found[name] = (
            pulumi.runtime.sync_await._sync_await(output.is_secret()),
            pulumi.runtime.sync_await._sync_await(output.future()),
        )
        sdk = ref.require_output(name)  # the SDK's reader, which this one replaces
        assert pulumi.runtime.sync_await._sync_await(sdk.is_secret()) == found[name][0]
    assert {n for n, (secret, _) in found.items() if secret} == secret_fields
    assert found["clusterName"][1] == "landfall-test"
