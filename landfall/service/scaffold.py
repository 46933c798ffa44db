"""``landfall service new``: a service's catalogue entry and its fleet manifests, from the
payments pattern, ready to build. Files are written whole (a generated file carries a header
saying so); the kustomizations listing services get one line each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from landfall.config import (
    CLOUD_ENVIRONMENTS,
    ENVIRONMENTS,
    ConfigError,
    Problem,
    config_file,
    load_environment,
    read_config_file,
)
from landfall.config.catalogue import SERVICES_KEY, Catalogue, CatalogueEntry
from landfall.config.load import with_catalogue
from landfall.config.model import ServiceSizing
from landfall.logic.envmap import service_key
from landfall.service.layout import (
    base_dir,
    chart_dir,
    cloud_dir,
    kustomization,
    local_dir,
    overlay_file,
)

HEADER = "# Scaffolded by `landfall service new` from the payments pattern; edit freely.\n"
HELM = "helm.toolkit.fluxcd.io/v2"
PORT = 8080
HEALTH_PATH = "/healthz"
ALB = "alb.ingress.kubernetes.io/"
NLB = "service.beta.kubernetes.io/aws-load-balancer-"
# The chart each service publishes to ECR (charts/<name>), and its first range.
FIRST_CHART_RANGE = "0.x"


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def _dump(*documents: dict[str, Any]) -> str:
    body = "---\n".join(yaml.safe_dump(d, sort_keys=False, width=100) for d in documents)
    return HEADER + body


def _release_env(entry: CatalogueEntry) -> dict[str, str]:
    env = {"ENVIRONMENT": "${ENVIRONMENT}", "SECRETS_PREFIX": "${SECRETS_PREFIX}"}
    if entry.database:
        db_name = entry.name.replace("-", "_")
        env |= {
            "DB_HOST": "${RDS_ENDPOINT}",
            "DB_PORT": "${quote}${RDS_PORT}${quote}",
            "DB_NAME": db_name,
            "DB_USER": db_name,
            "DB_AUTH": "${DATABASE_AUTH}",
        }
    if entry.search:
        env |= {
            "OPENSEARCH_URL": "${OPENSEARCH_ENDPOINT}",
            "OPENSEARCH_INDEX_PREFIX": f"{entry.name}-",
        }
    return env


def base_files(entry: CatalogueEntry) -> dict[str, str]:
    name, namespace = entry.name, entry.namespace or entry.name
    restricted = {
        f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "audit", "warn")
    }
    release = {
        "apiVersion": HELM,
        "kind": "HelmRelease",
        "metadata": {"name": name},
        "spec": {
            "interval": "10m",
            "timeout": "5m",
            "releaseName": name,
            "chart": {
                "spec": {
                    "chart": name,
                    "sourceRef": {
                        "kind": "HelmRepository",
                        "name": "ecr-charts",
                        "namespace": "flux-system",
                    },
                    "interval": "5m",
                }
            },
            "install": {"remediation": {"retries": 3}},
            "upgrade": {
                "cleanupOnFail": True,
                "remediation": {"retries": 2, "strategy": "rollback"},
            },
            "rollback": {"cleanupOnFail": True},
            "driftDetection": {"mode": "enabled"},
            "values": {
                "serviceAccountName": name,
                "priorityClassName": "landfall-normal",
                "containerPort": PORT,
                "healthPath": HEALTH_PATH,
                "topologySpread": {"zone": "ScheduleAnyway", "node": "ScheduleAnyway"},
                "env": _release_env(entry),
            },
        },
    }
    return {
        "kustomization.yaml": _dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": namespace,
                "resources": [
                    "namespace.yaml",
                    "service-account.yaml",
                    "release.yaml",
                    "pdb.yaml",
                ],
                "components": ["../../../components/network-baseline"],
            }
        ),
        "namespace.yaml": _dump(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": namespace, "labels": restricted},
            }
        ),
        "service-account.yaml": _dump(
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}
        ),
        "release.yaml": _dump(release),
        "pdb.yaml": _dump(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": name},
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels(name)}},
            }
        ),
    }


def cloud_files(entry: CatalogueEntry) -> dict[str, str]:
    name, namespace = entry.name, entry.namespace or entry.name
    key = service_key(name, "")
    target_group_attributes = (
        "deregistration_delay.timeout_seconds=${TARGET_DEREGISTRATION_DELAY_SECONDS}"
    )
    files: dict[str, str] = {
        "aws.yaml": _dump(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": namespace,
                    "labels": {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"},
                },
            },
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {
                    "name": name,
                    "annotations": {"eks.amazonaws.com/role-arn": f"${{{key}ROLE_ARN}}"},
                },
            },
            {
                "apiVersion": HELM,
                "kind": "HelmRelease",
                "metadata": {"name": name},
                "spec": {
                    "timeout": "20m",
                    "values": {
                        "preStopSleepSeconds": 40,
                        "image": {"repository": f"${{ECR_REGISTRY}}/{name}"},
                        "env": {"AWS_REGION": "${AWS_REGION}"},
                    },
                },
            },
        ),
        "ingress.yaml": _dump(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {
                    "name": f"{name}-internal",
                    "annotations": {
                        f"{ALB}group.name": "${INGRESS_GROUP_NAME}",
                        f"{ALB}scheme": "internal",
                        f"{ALB}target-type": "ip",
                        f"{ALB}listen-ports": '[{"HTTPS": 443}]',
                        f"{ALB}certificate-arn": "${CERTIFICATE_ARN}",
                        f"{ALB}ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                        f"{ALB}healthcheck-path": HEALTH_PATH,
                        f"{ALB}target-group-attributes": target_group_attributes,
                        f"{ALB}success-codes": "200",
                    },
                },
                "spec": {
                    "ingressClassName": "alb",
                    "rules": [
                        {
                            "host": f"{name}-internal.${{DOMAIN}}",
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {"name": name, "port": {"name": "http"}}
                                        },
                                    }
                                ]
                            },
                        }
                    ],
                },
            }
        ),
        "network-policy.yaml": _dump(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"{name}-aws"},
                "spec": {
                    "podSelector": {"matchLabels": _labels(name)},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [
                        {
                            "from": [{"ipBlock": {"cidr": "${VPC_CIDR}"}}],
                            "ports": [{"protocol": "TCP", "port": PORT}],
                        }
                    ],
                    "egress": [
                        *(
                            [
                                {
                                    "to": [{"ipBlock": {"cidr": "${VPC_CIDR}"}}],
                                    "ports": [{"protocol": "TCP", "port": "${RDS_PORT}"}],
                                }
                            ]
                            if entry.database
                            else []
                        ),
                        {
                            "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                            "ports": [{"protocol": "TCP", "port": 443}],
                        },
                    ],
                },
            }
        ),
    }
    if entry.public:
        files["target-group-binding.yaml"] = _dump(
            {
                "apiVersion": "elbv2.k8s.aws/v1beta1",
                "kind": "TargetGroupBinding",
                "metadata": {"name": name},
                "spec": {
                    "targetGroupARN": f"${{{key}TARGET_GROUP_ARN}}",
                    "targetType": "ip",
                    "serviceRef": {"name": name, "port": 80},
                    "networking": {
                        "ingress": [
                            {
                                "from": [
                                    {"securityGroup": {"groupID": "${ALB_SECURITY_GROUP_ID}"}}
                                ],
                                "ports": [{"protocol": "TCP", "port": PORT}],
                            }
                        ]
                    },
                },
            }
        )
    if entry.nlb:
        files["service-nlb.yaml"] = _dump(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": f"{name}-nlb",
                    "annotations": {
                        f"{NLB}type": "external",
                        f"{NLB}nlb-target-type": "ip",
                        f"{NLB}scheme": "internal",
                        f"{NLB}healthcheck-protocol": "http",
                        f"{NLB}healthcheck-path": HEALTH_PATH,
                        f"{NLB}attributes": ("load_balancing.cross_zone.enabled=true"),
                        f"{NLB}target-group-attributes": (target_group_attributes),
                        "external-dns.alpha.kubernetes.io/hostname": f"{name}-nlb.${{DOMAIN}}",
                    },
                },
                "spec": {
                    "type": "LoadBalancer",
                    "allocateLoadBalancerNodePorts": False,
                    "loadBalancerSourceRanges": ["${VPC_CIDR}"],
                    "selector": _labels(name),
                    "ports": [
                        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
                    ],
                },
            }
        )
    resources = ["../../base/" + name, *sorted(f for f in files if f != "aws.yaml")]
    files["kustomization.yaml"] = _dump(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "namespace": namespace,
            "resources": resources,
            "patches": [{"path": "aws.yaml"}],
        }
    )
    return files


def autoscaling_values(sizing: ServiceSizing) -> dict[str, Any]:
    """The chart's ``autoscaling`` values for a catalogue sizing with ``maxReplicas``."""
    return {"enabled": True, "minReplicas": sizing.replicas, "maxReplicas": sizing.max_replicas}


def overlay(entry: CatalogueEntry, env: str) -> str:
    """apps/<env>/<name>.yaml: the chart range and the catalogue's sizing for ``env``."""
    sizing = entry.environments[env]  # type: ignore[index]
    values: dict[str, Any] = {}
    if sizing.replicas is not None:
        values["replicaCount"] = sizing.replicas
    if sizing.memory is not None:
        values["resources"] = {
            "requests": {"memory": sizing.memory},
            "limits": {"memory": sizing.memory},
        }
    if sizing.max_replicas is not None:
        values["autoscaling"] = autoscaling_values(sizing)
    spec: dict[str, Any] = {"chart": {"spec": {"version": FIRST_CHART_RANGE}}}
    if values:
        spec["values"] = values
    return _dump(
        {
            "apiVersion": HELM,
            "kind": "HelmRelease",
            "metadata": {"name": entry.name, "namespace": entry.namespace or entry.name},
            "spec": spec,
        }
    )


def local_files(root: Path, entry: CatalogueEntry) -> dict[Path, str]:
    """What running locally takes (the payments pattern): the chart in the fleet (a copy of
    payments', renamed) and apps/local/<name>/ with its local values (stand-in image, chart
    from Git) and egress to the in-cluster data stores."""
    name, namespace = entry.name, entry.namespace or entry.name
    reference = chart_dir(root, "payments")
    files: dict[Path, str] = {}
    for source in sorted(reference.rglob("*")):
        if source.is_file():
            target = chart_dir(root, name) / source.relative_to(reference)
            files[target] = source.read_text(encoding="utf-8").replace("payments", name)
    values: dict[str, Any] = {
        "image": {"repository": "ghcr.io/stefanprodan/podinfo", "tag": "6.8.0"},
        "command": ["./podinfo", f"--port={PORT}"],
        "replicaCount": 1,
    }
    if entry.database:
        values["envFromSecret"] = f"{name}-database"
    folder = local_dir(root, name)
    files[folder / "kustomization.yaml"] = _dump(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [f"../../base/{name}", "network-policy.yaml"],
            "patches": [{"path": "local.yaml"}],
        }
    )
    files[folder / "local.yaml"] = _dump(
        {
            "apiVersion": HELM,
            "kind": "HelmRelease",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "chart": {
                    "spec": {
                        "chart": f"./charts/{name}",
                        "sourceRef": {
                            "kind": "GitRepository",
                            "name": "flux-system",
                            "namespace": "flux-system",
                        },
                        "reconcileStrategy": "Revision",
                    }
                },
                "values": values,
            },
        }
    )
    files[folder / "network-policy.yaml"] = _dump(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"{name}-local-data", "namespace": namespace},
            "spec": {
                "podSelector": {"matchLabels": _labels(name)},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": "platform-data"}
                                }
                            }
                        ],
                        "ports": [
                            {"protocol": "TCP", "port": 3306},
                            {"protocol": "TCP", "port": 9200},
                        ],
                    }
                ],
            },
        }
    )
    return files


def catalogue_text(entry: CatalogueEntry) -> str:
    """The entry as lines to append under ``services:`` of services.yaml."""
    data = entry.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False)
    block = yaml.safe_dump([data], sort_keys=False, default_flow_style=None, width=100)
    return "".join(f"  {line}\n" for line in block.splitlines())


def add_line(path: Path, section: str, line: str) -> None:
    """Add ``line`` (e.g. ``- accounts``) to the list ``section:`` of a kustomization file,
    after its last item, keeping everything else as it is."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"{section}:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    if f"  {line}" not in lines[start:end]:
        lines.insert(end, f"  {line}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_service(root: Path, entry: CatalogueEntry) -> list[Path]:
    """Write every fleet file of ``entry`` for its cloud environments and register them; the
    catalogue entry is appended to services.yaml. Returns the files written or changed."""
    written: list[Path] = []

    def put(path: Path, text: str) -> None:
        if path.exists():
            raise FileExistsError(f"{path.relative_to(root)} exists already")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    envs = [env for env in CLOUD_ENVIRONMENTS if env in entry.environments]
    for filename, text in base_files(entry).items():
        put(base_dir(root, entry.name) / filename, text)
    if envs:
        for filename, text in cloud_files(entry).items():
            put(cloud_dir(root, entry.name) / filename, text)
        cloud_list = kustomization(cloud_dir(root, entry.name).parent)
        add_line(cloud_list, "resources", f"- {entry.name}")
        written.append(cloud_list)
    for env in envs:
        put(overlay_file(root, env, entry.name), overlay(entry, env))
        env_list = kustomization(overlay_file(root, env, entry.name).parent)
        add_line(env_list, "patches", f"- path: {entry.name}.yaml")
        written.append(env_list)
    if "local" in entry.environments:
        for path, text in local_files(root, entry).items():
            put(path, text)
        local = kustomization(local_dir(root, entry.name).parent)
        add_line(local, "resources", f"- {entry.name}")
        written.append(local)
    catalogue = root / "services.yaml"
    with catalogue.open("a", encoding="utf-8") as handle:
        handle.write(catalogue_text(entry))
    written.append(catalogue)
    return written


def next_priority(catalogue: Catalogue) -> int:
    """One above the highest explicit listener priority of the catalogue (1 for the first)."""
    return max((s.listener_priority or 0 for s in catalogue.services), default=0) + 1


def validate_new(root: Path, catalogue: Catalogue, entry: CatalogueEntry) -> None:
    """ConfigError unless every environment's settings stay valid with ``entry`` added (names,
    namespaces, priorities, database and search prerequisites): checked before any file is
    written, so bad input creates nothing."""
    if any(s.name == entry.name for s in catalogue.services):
        raise ConfigError(
            "services.yaml",
            [
                Problem(
                    f"services: {entry.name}", "is in the catalogue already", "pick another name"
                )
            ],
        )
    for env in ENVIRONMENTS:
        path = config_file(env, root)
        if not path.exists():
            continue
        raw = with_catalogue(read_config_file(path), root, env, str(path))
        addition = entry.in_environment(env)
        if addition is not None:
            raw[SERVICES_KEY] = [*raw[SERVICES_KEY], addition]
        load_environment(env, raw, source=f"{path} with {entry.name} added")
    taken = [p for p in (base_dir(root, entry.name), cloud_dir(root, entry.name)) if p.exists()]
    if taken:
        raise ConfigError(
            "fleet",
            [
                Problem(
                    str(p.relative_to(root)), "exists already", "remove it or pick another name"
                )
                for p in taken
            ],
        )
