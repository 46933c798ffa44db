"""Offline machinery for the fleet tests: build, substitute and validate the Flux repository.

The fleet (``fleet/``) is what Flux applies to each cluster. These helpers reproduce, offline,
what Flux does with it:

1. ``kubectl kustomize`` builds ``clusters/<env>`` (the root the gitops stack syncs) and every
   path a Flux Kustomization there points at (builds are cached for the session);
2. each Flux Kustomization's ``postBuild`` substitution runs on the built YAML with the keys of
   the environment ConfigMap (``landfall.logic.envmap`` is the key oracle) filled with realistic
   placeholders, honouring ``${VAR:=default}``, like kustomize-controller does;
3. every resulting object is validated: core kinds against the Kubernetes OpenAPI schemas that
   ship with ``kubernetes-validate`` (strict: unknown fields are errors), CRD kinds (Flux's,
   the AWS Load Balancer Controller's TargetGroupBinding) against the upstream CRDs kept in
   ``schemas/`` (made strict the same way). A kind without a schema, or a missing schema
   folder, is an error.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from project import PROJECT_ROOT

from landfall.config import config_file, read_config_file
from landfall.logic import envmap

Obj = dict[str, Any]

FLEET = PROJECT_ROOT / "fleet"
# The upstream schemas the objects are validated against, in the repository (schemas/README.md).
SCHEMAS = PROJECT_ROOT / "schemas"
FLUX_CRDS = SCHEMAS / "flux"
LOAD_BALANCER_CONTROLLER_CRDS = SCHEMAS / "aws-load-balancer-controller"
DOCS = PROJECT_ROOT / "docs" / "fleet.md"

ENVIRONMENTS: tuple[str, ...] = ("local", "test", "prod")
CLOUD_ENVIRONMENTS: tuple[str, ...] = ("test", "prod")
# The services the fleet deploys; their per-service keys (<SERVICE>_ROLE_ARN, ...) are part of
# the cloud environments' ConfigMap.
SERVICES: tuple[str, ...] = ("payments",)
# The Kubernetes minor the core schemas are taken from: the one the cloud environments run.
KUBERNETES_VERSION = read_config_file(config_file("test"))["landfall:cluster"]["kubernetesVersion"]

# Every Flux Kustomization reads its sources from the gitops stack's root source.
ROOT_SOURCE = {"kind": "GitRepository", "name": "flux-system"}
# What the gitops stack applies to the Kustomizations of clusters/<env> when the environment's
# source is an OCI artifact (the stack names its OCIRepository flux-system too).
OCI_SOURCE_PATCH = [{"op": "replace", "path": "/spec/sourceRef/kind", "value": "OCIRepository"}]

# Ephemeral development environments (R23): Flux Kustomizations labelled like this, listed in
# clusters/<env>/dev-environments, each building EPHEMERAL_TEMPLATE into its own namespace.
# They are not part of the platform a cluster runs (cluster_kustomizations leaves them out, so
# the test/prod comparison and the platform's rules do not see them);
# tests/test_fleet_ephemeral.py checks them with the same machinery.
EPHEMERAL_LABEL = "landfall.io/ephemeral"
DEV_ENVIRONMENT_LABEL = "landfall.io/dev-environment"
EPHEMERAL_TEMPLATE = "environments/ephemeral"
DEV_ENVIRONMENTS_DIR = "dev-environments"  # under clusters/<env>

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "PriorityClass",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "IngressClass",
        "IngressClassParams",
    }
)


# --------------------------------------------------------------------------------------------
# kustomize


class KustomizeError(RuntimeError):
    pass


def _fleet_relative(path: str) -> str:
    rel = path.removeprefix("./").rstrip("/")
    resolved = (FLEET / rel).resolve()
    if resolved != FLEET and FLEET not in resolved.parents:
        raise KustomizeError(f"{path!r} points outside the fleet repository")
    return rel


@functools.cache
def kustomize_build(path: str) -> str:
    """``kubectl kustomize`` of a path relative to the fleet root (cached per path)."""
    rel = _fleet_relative(path)
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise KustomizeError("kubectl is not installed (the fleet tests build with its kustomize)")
    proc = subprocess.run(
        [kubectl, "kustomize", str(FLEET / rel)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise KustomizeError(f"kubectl kustomize {rel}: {proc.stderr.strip()}")
    return proc.stdout


@functools.cache
def kustomize_build_into(path: str, namespace: str) -> str:
    """What Flux builds for a Kustomization with ``targetNamespace``: it sets ``namespace`` on
    the path's kustomization, so kustomize moves every namespaced object there and renames
    Namespace objects. Reproduced with an overlay holding only that field."""
    rel = _fleet_relative(path)
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise KustomizeError("kubectl is not installed (the fleet tests build with its kustomize)")
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.relpath(FLEET / rel, tmp)  # kustomize accepts relative bases only
        (Path(tmp) / "kustomization.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "kustomize.config.k8s.io/v1beta1",
                    "kind": "Kustomization",
                    "namespace": namespace,
                    "resources": [base],
                }
            )
        )
        proc = subprocess.run(
            [kubectl, "kustomize", tmp], capture_output=True, text=True, timeout=120, check=False
        )
    if proc.returncode != 0:
        raise KustomizeError(f"kubectl kustomize {rel} (namespace {namespace}): {proc.stderr}")
    return proc.stdout


def split_documents(text: str) -> list[str]:
    """The YAML documents of a ``kubectl kustomize`` output, as text."""
    docs = re.split(r"^---[ \t]*$\n?", text, flags=re.MULTILINE)
    return [d for d in docs if d.strip()]


def load_objects(text: str) -> list[Obj]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


# --------------------------------------------------------------------------------------------
# Flux post-build variable substitution


class SubstitutionError(ValueError):
    pass


@dataclass(frozen=True)
class VarRef:
    """One ``${...}`` expression: the variable, its operator (``:=``, ``:-``, ``=``, ``-``) and
    default, if any."""

    name: str
    op: str | None
    default: str | None
    text: str

    @property
    def has_default(self) -> bool:
        return self.op is not None


# `$${` is Flux's escape for a literal `${`; everything else starting with `${` is a variable.
_TOKEN = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)\}")
_BODY = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:=|:-|=|-)(?P<default>.*))?", re.S)


def _parse(body: str, text: str) -> VarRef:
    m = _BODY.fullmatch(body)
    if m is None:
        raise SubstitutionError(
            f"{text}: only ${{VAR}} and ${{VAR:=default}} forms are used in the fleet"
        )
    default = m.group("default")
    if default is not None and "${" in default:
        raise SubstitutionError(f"{text}: nested variables in a default are not supported")
    return VarRef(m.group("name"), m.group("op"), default, text)


def find_variables(text: str) -> list[VarRef]:
    refs = []
    for m in _TOKEN.finditer(text):
        if m.group("body") is not None:
            refs.append(_parse(m.group("body"), m.group(0)))
    return refs


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace ``${VAR}`` expressions like kustomize-controller's envsubst does: an unset
    variable without a default becomes the empty string; ``:=``/``:-`` also replace an empty
    value with the default; ``$${`` stays a literal ``${``."""

    def replace(m: re.Match[str]) -> str:
        if m.group("body") is None:
            return "${"
        ref = _parse(m.group("body"), m.group(0))
        value = values.get(ref.name)
        if ref.op in (":=", ":-"):
            return value if value else (ref.default or "")
        if ref.op in ("=", "-"):
            return value if value is not None else (ref.default or "")
        return value or ""

    return _TOKEN.sub(replace, text)


def undeclared_variables(text: str, allowed: Iterable[str]) -> list[str]:
    """The ${VAR} expressions of ``text`` that Flux would replace with an empty string."""
    allowed = set(allowed)
    return sorted(
        {r.text for r in find_variables(text) if r.name not in allowed and not r.has_default}
    )


def _substitution_disabled(obj: Obj) -> bool:
    meta = obj.get("metadata") or {}
    key = "kustomize.toolkit.fluxcd.io/substitute"
    return "disabled" in (
        (meta.get("labels") or {}).get(key),
        (meta.get("annotations") or {}).get(key),
    )


def substitute_objects(text: str, values: Mapping[str, str]) -> list[Obj]:
    """Post-build substitution of a build output, resource by resource, as Flux does it (a
    resource labelled or annotated ``kustomize.toolkit.fluxcd.io/substitute: disabled`` is left
    alone). The YAML is parsed after substitution, so ``replicas: ${N:=2}`` becomes an int."""
    objects = []
    for doc in split_documents(text):
        raw = yaml.safe_load(doc)
        if raw is None:
            continue
        objects.append(
            raw if _substitution_disabled(raw) else yaml.safe_load(substitute(doc, values))
        )
    return objects


# --------------------------------------------------------------------------------------------
# The environment ConfigMap (keys from landfall.logic.envmap, placeholder values)


def service_keys(service: str, cloud: bool) -> tuple[str, ...]:
    """The per-service keys the ConfigMap carries in a cloud environment (none in local)."""
    if not cloud:
        return ()
    return (
        envmap.service_key(service, "ROLE_ARN"),
        envmap.service_key(service, "TARGET_GROUP_ARN"),
    )


def environment_keys(env: str) -> frozenset[str]:
    cloud = env != "local"
    keys = set(envmap.COMMON_KEYS)
    if cloud:
        keys.update(envmap.CLOUD_KEYS)
    for service in SERVICES:
        keys.update(service_keys(service, cloud))
    return frozenset(keys)


_ACCOUNT = "111111111111"
_REGION = "eu-west-2"


def _cloud_placeholders(env: str) -> dict[str, str]:
    prefix = f"landfall-{env}"
    domain = f"{env}.landfall.example.com"
    vpc_octet = {"test": 20, "prod": 30}.get(env, 40)
    registry = f"{_ACCOUNT}.dkr.ecr.{_REGION}.amazonaws.com"
    arn = "arn:aws"
    elb = f"{arn}:elasticloadbalancing:{_REGION}:{_ACCOUNT}"
    values = {
        "ENVIRONMENT": env,
        "CLUSTER_NAME": prefix,
        "RDS_ENDPOINT": f"{prefix}.c1a2b3c4d5e6.{_REGION}.rds.amazonaws.com",
        "RDS_PORT": "3306",
        "DATABASE_AUTH": "iam",
        "DATABASE_SERVICES": " ".join(SERVICES),
        "OPENSEARCH_ENDPOINT": f"https://vpc-{prefix}-abcdefghij.{_REGION}.es.amazonaws.com:443",
        "DOMAIN": domain,
        "SECRETS_PREFIX": env,
        "AWS_REGION": _REGION,
        "AWS_ACCOUNT_ID": _ACCOUNT,
        "VPC_ID": "vpc-0123456789abcdef0",
        "VPC_CIDR": f"10.{vpc_octet}.0.0/16",
        "PUBLIC_SUBNET_CIDRS": ",".join(f"10.{vpc_octet}.{i}.0/24" for i in range(3)),
        "PRIVATE_SUBNET_CIDRS": ",".join(f"10.{vpc_octet}.{32 * (i + 1)}.0/19" for i in range(3)),
        "DATA_SUBNET_CIDRS": ",".join(f"10.{vpc_octet}.{200 + i}.0/24" for i in range(3)),
        "HOSTED_ZONE_ID": "Z0123456789ABCDEFGHIJ",
        "HOSTED_ZONE_NAME": domain,
        "CERTIFICATE_ARN": f"{arn}:acm:{_REGION}:{_ACCOUNT}:certificate/0f0e0d0c-1b1a-2928",
        "ALB_ARN": f"{elb}:loadbalancer/app/{prefix}/0123456789abcdef",
        "ALB_DNS_NAME": f"{prefix}-1234567890.{_REGION}.elb.amazonaws.com",
        "ALB_SECURITY_GROUP_ID": "sg-0a1b2c3d4e5f60718",
        "INGRESS_GROUP_NAME": prefix,
        "NODE_SECURITY_GROUP_ID": "sg-0f1e2d3c4b5a69788",
        "ECR_REGISTRY": registry,
        "HELM_OCI_REPOSITORY": f"oci://{registry}/charts",
        "EBS_KMS_KEY_ARN": f"{arn}:kms:{_REGION}:{_ACCOUNT}:key/0a1b2c3d-4e5f-6071-8293",
        "AWS_LOAD_BALANCER_CONTROLLER_ROLE_ARN": f"{arn}:iam::{_ACCOUNT}:role/{prefix}-lbc",
        "EXTERNAL_DNS_ROLE_ARN": f"arn:aws:iam::{_ACCOUNT}:role/{prefix}-external-dns",
        "CLUSTER_AUTOSCALER_ROLE_ARN": f"arn:aws:iam::{_ACCOUNT}:role/{prefix}-autoscaler",
        "TARGET_DEREGISTRATION_DELAY_SECONDS": "30",
        "FLEET_STATUS_REPOSITORY_URL": "https://github.com/example/landfall-fleet",
    }
    for service in SERVICES:
        values[envmap.service_key(service, "ROLE_ARN")] = (
            f"{arn}:iam::{_ACCOUNT}:role/{prefix}-{service}"
        )
        values[envmap.service_key(service, "TARGET_GROUP_ARN")] = (
            f"{elb}:targetgroup/{prefix}-{service}/0123456789abcdef"
        )
    return values


_LOCAL_PLACEHOLDERS = {
    "ENVIRONMENT": "local",
    "CLUSTER_NAME": "landfall-local",
    "RDS_ENDPOINT": "mariadb.platform-data.svc.cluster.local",
    "RDS_PORT": "3306",
    "DATABASE_AUTH": "password",
    "DATABASE_SERVICES": "payments",
    "OPENSEARCH_ENDPOINT": "http://opensearch.platform-data.svc.cluster.local:9200",
    "DOMAIN": "landfall.localhost",
    "SECRETS_PREFIX": "local",
}


@functools.cache
def placeholder_environment(env: str) -> Mapping[str, str]:
    """A realistic ``landfall-environment`` ConfigMap for ``env``: exactly the env's keys."""
    known = _LOCAL_PLACEHOLDERS if env == "local" else _cloud_placeholders(env)
    return {
        k: known.get(k, f"placeholder-{k.lower().replace('_', '-')}") for k in environment_keys(env)
    }


# --------------------------------------------------------------------------------------------
# The cluster entry points and what their Flux Kustomizations apply


@dataclass(frozen=True)
class FluxKustomization:
    name: str
    namespace: str
    path: str  # relative to the fleet root, without the leading ./
    target_namespace: str | None
    depends_on: tuple[str, ...]
    inline_vars: Mapping[str, str]
    substitute_from: tuple[tuple[str, str], ...]  # (kind, name)
    obj: Obj

    @classmethod
    def from_object(cls, obj: Obj) -> FluxKustomization:
        spec = obj.get("spec") or {}
        post = spec.get("postBuild") or {}
        return cls(
            name=obj["metadata"]["name"],
            namespace=obj["metadata"].get("namespace", ""),
            path=str(spec.get("path", "")).removeprefix("./"),
            target_namespace=spec.get("targetNamespace"),
            depends_on=tuple(d["name"] for d in spec.get("dependsOn") or ()),
            inline_vars=dict(post.get("substitute") or {}),
            substitute_from=tuple((r["kind"], r["name"]) for r in post.get("substituteFrom") or ()),
            obj=obj,
        )


def is_flux_kustomization(obj: Obj) -> bool:
    return obj.get("kind") == "Kustomization" and str(obj.get("apiVersion", "")).startswith(
        "kustomize.toolkit.fluxcd.io/"
    )


def cluster_root(env: str) -> str:
    return f"clusters/{env}"


def is_dev_environment(obj: Obj) -> bool:
    """A Flux Kustomization of an ephemeral development environment (labelled as such)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return is_flux_kustomization(obj) and labels.get(EPHEMERAL_LABEL) == "true"


@functools.cache
def _entry_point_kustomizations(env: str) -> tuple[FluxKustomization, ...]:
    objects = load_objects(kustomize_build(cluster_root(env)))
    return tuple(FluxKustomization.from_object(o) for o in objects if is_flux_kustomization(o))


def cluster_kustomizations(env: str) -> tuple[FluxKustomization, ...]:
    """The platform's Flux Kustomizations of ``env`` (development environments excluded)."""
    return tuple(k for k in _entry_point_kustomizations(env) if not is_dev_environment(k.obj))


def dev_environments(env: str) -> tuple[FluxKustomization, ...]:
    """The ephemeral development environments ``clusters/<env>`` runs (none by default)."""
    return tuple(k for k in _entry_point_kustomizations(env) if is_dev_environment(k.obj))


def substitution_values(env: str, ks: FluxKustomization) -> dict[str, str]:
    """The variables Flux would substitute for ``ks`` in ``env``: the ConfigMap's keys (when the
    Kustomization reads the environment ConfigMap), overridden by ``postBuild.substitute``."""
    values: dict[str, str] = {}
    if ("ConfigMap", envmap.CONFIGMAP_NAME) in ks.substitute_from:
        values.update(placeholder_environment(env))
    values.update(ks.inline_vars)
    return values


@dataclass(frozen=True)
class Applied:
    """What one Flux Kustomization of a cluster applies."""

    env: str
    kustomization: FluxKustomization
    raw_text: str  # kustomize output before substitution
    raw_objects: tuple[Obj, ...]
    objects: tuple[Obj, ...]  # after substitution with the env's placeholder values


def apply_kustomization(env: str, ks: FluxKustomization) -> Applied:
    """Build (into ``targetNamespace`` if set) and substitute what ``ks`` applies in ``env``."""
    text = (
        kustomize_build_into(ks.path, ks.target_namespace)
        if ks.target_namespace
        else kustomize_build(ks.path)
    )
    return Applied(
        env=env,
        kustomization=ks,
        raw_text=text,
        raw_objects=tuple(load_objects(text)),
        objects=tuple(substitute_objects(text, substitution_values(env, ks))),
    )


@functools.cache
def applied(env: str) -> tuple[Applied, ...]:
    return tuple(apply_kustomization(env, ks) for ks in cluster_kustomizations(env))


def cluster_objects(env: str, *, raw: bool = False) -> list[Obj]:
    """Everything Flux applies to ``env``: the entry point's Kustomizations and their output."""
    objects = load_objects(kustomize_build(cluster_root(env)))
    for a in applied(env):
        objects.extend(a.raw_objects if raw else a.objects)
    return objects


def fleet_paths() -> list[str]:
    """Every path built in the tests: the cluster entry points and every Kustomization path."""
    paths = [cluster_root(env) for env in ENVIRONMENTS]
    for env in ENVIRONMENTS:
        paths.extend(ks.path for ks in cluster_kustomizations(env))
    return list(dict.fromkeys(paths))


def key(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (
        obj.get("apiVersion", ""),
        obj.get("kind", ""),
        meta.get("namespace", ""),
        meta.get("name", ""),
    )


def describe(obj: Obj) -> str:
    _, kind, ns, name = key(obj)
    return f"{kind} {ns + '/' if ns else ''}{name}"


def of_kind(objects: Iterable[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o.get("kind") == kind]


def find(objects: Iterable[Obj], kind: str, name: str, namespace: str | None = None) -> Obj:
    for o in objects:
        meta = o.get("metadata") or {}
        if (
            o.get("kind") == kind
            and meta.get("name") == name
            and (namespace is None or meta.get("namespace") == namespace)
        ):
            return o
    raise LookupError(f"no {kind} {namespace + '/' if namespace else ''}{name}")


def walk(
    node: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every (path, value) pair of a JSON-like tree, leaves and inner nodes alike."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, (*path, i))


def pod_templates(obj: Obj) -> list[Obj]:
    """The pod spec(s) an object defines directly (workload kinds)."""
    spec = obj.get("spec") or {}
    if obj.get("kind") in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        return [spec.get("template", {}).get("spec", {})]
    if obj.get("kind") == "CronJob":
        return [spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})]
    if obj.get("kind") == "Pod":
        return [spec]
    return []


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """matchLabels-only selector matching (the fleet uses no matchExpressions)."""
    match = selector.get("matchLabels") or {}
    return not selector.get("matchExpressions") and all(
        labels.get(k) == v for k, v in match.items()
    )


def deep_merge(base: Any, override: Any) -> Any:
    """Helm's values merge: maps merge recursively, everything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for k, v in override.items():
            merged[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return merged
    return copy.deepcopy(override)


# --------------------------------------------------------------------------------------------
# Validation


# Every schema lives in the repository (schemas/, each folder with its PROVENANCE.md): the CRDs
# of the controllers whose kinds the fleet writes. A folder that is missing, empty or holds no
# CRD is an error (SchemaError), never a silent pass.


class SchemaError(RuntimeError):
    """A schema the tests need is missing from the repository (or unreadable)."""


def _display(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


@functools.cache
def load_crds(crd_dir: Path) -> tuple[tuple[Path, Obj], ...]:
    """(file, CustomResourceDefinition) for every CRD in the ``*.yaml`` files of ``crd_dir``.
    Raises SchemaError when the folder is missing, has no YAML file or a file holds no CRD."""
    if not crd_dir.is_dir():
        raise SchemaError(
            f"CRD schema folder {crd_dir} is missing: the schemas belong to the repository "
            f"(see {_display(SCHEMAS / 'README.md')})"
        )
    files = sorted(crd_dir.glob("*.yaml"))
    if not files:
        raise SchemaError(f"no *.yaml CRD file in {crd_dir}")
    crds: list[tuple[Path, Obj]] = []
    for path in files:
        found = [
            d
            for d in yaml.safe_load_all(path.read_text())
            if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"
        ]
        if not found:
            raise SchemaError(f"{path} holds no CustomResourceDefinition")
        crds.extend((path, crd) for crd in found)
    return tuple(crds)


# Controller CRDs the fleet writes, one folder each under schemas/.
CRD_DIRS: tuple[Path, ...] = (FLUX_CRDS, LOAD_BALANCER_CONTROLLER_CRDS)

_NAME = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA_SCHEMA: Obj = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": _NAME},
        "namespace": {"type": "string", "maxLength": 63, "pattern": _NAME},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
}


def strict_schema(schema: Any) -> Any:
    """A copy of a CRD openAPIV3Schema in which every object that lists its properties rejects
    unknown ones (what the API server does by pruning, or rejecting with fieldValidation=Strict),
    except under ``x-kubernetes-preserve-unknown-fields`` (e.g. HelmRelease values)."""
    if isinstance(schema, list):
        return [strict_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return copy.deepcopy(schema)
    out: dict[str, Any] = {}
    for k, v in schema.items():
        if k == "properties":
            out[k] = {name: strict_schema(sub) for name, sub in v.items()}
        elif k in ("items", "additionalProperties", "not", "anyOf", "allOf", "oneOf"):
            out[k] = strict_schema(v)
        else:
            out[k] = copy.deepcopy(v)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _with_metadata(schema: Obj) -> Obj:
    schema = copy.deepcopy(schema)
    schema.setdefault("properties", {})["metadata"] = METADATA_SCHEMA
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    return schema


@dataclass(frozen=True)
class CrdSchema:
    """The strict schema of one served version of a CRD, and the file it comes from."""

    schema: Obj
    source: Path


@functools.cache
def crd_schemas(crd_dir: Path) -> Mapping[tuple[str, str], CrdSchema]:
    """(apiVersion, kind) -> strict schema, for every version the CRD files of ``crd_dir``
    serve (deprecated versions left out). Raises SchemaError when there is none."""
    schemas: dict[tuple[str, str], CrdSchema] = {}
    for path, crd in load_crds(crd_dir):
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served") or version.get("deprecated"):
                continue
            schema = strict_schema(version["schema"]["openAPIV3Schema"])
            props = schema.setdefault("properties", {})
            props["apiVersion"] = {"const": f"{group}/{version['name']}"}
            props["kind"] = {"const": kind}
            schemas[(f"{group}/{version['name']}", kind)] = CrdSchema(_with_metadata(schema), path)
    if not schemas:
        raise SchemaError(f"the CRDs in {crd_dir} serve no (non-deprecated) version")
    return schemas


def _format_path(path: Iterable[Any]) -> str:
    return (
        "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "<root>"
    )


def _group(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


class ManifestValidator:
    """Validates one object at a time; ``errors`` returns readable problems (empty when valid).
    Core kinds are checked with kubernetes-validate, CRD kinds with the CRDs in ``crd_dirs``;
    any other kind is an error. ``checked`` counts the objects validated per (apiVersion, kind).
    """

    def __init__(
        self, kubernetes_version: str = KUBERNETES_VERSION, crd_dirs: Iterable[Path] = CRD_DIRS
    ):
        self.kubernetes_version = kubernetes_version
        self._custom: dict[tuple[str, str], CrdSchema] = {}
        self._group_dirs: dict[str, Path] = {}  # API group -> the folder with its CRDs
        for crd_dir in crd_dirs:
            schemas = crd_schemas(crd_dir)
            twice = sorted(schemas.keys() & self._custom.keys())
            if twice:
                raise SchemaError(f"{crd_dir}: served by another CRD folder already: {twice}")
            self._custom.update(schemas)
            self._group_dirs.update({_group(api): crd_dir for api, _ in schemas})
        if not self._custom:
            raise SchemaError("no CRD schema folder given")
        self._validators: dict[tuple[str, str], jsonschema.Draft7Validator] = {}
        self.checked: Counter[tuple[str, str]] = Counter()

    @staticmethod
    def is_builtin(api_version: str) -> bool:
        """Kubernetes' own API groups (core, apps, policy, *.k8s.io, ...) versus CRD groups."""
        group = _group(api_version)
        return "." not in group or group.endswith(".k8s.io")

    def schema_source(self, api_version: str, kind: str) -> str | None:
        """Where the schema of ``api_version``/``kind`` comes from (a file under schemas/, or
        kubernetes-validate for core kinds); None when there is none."""
        crd = self._custom.get((api_version, kind))
        if crd is not None:
            return _display(crd.source)
        if not self.is_builtin(api_version):
            return None
        probe = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "probe"}}
        try:
            kubernetes_validate.validate(probe, self.kubernetes_version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            return None
        except kubernetes_validate.ValidationError:
            pass  # the schema exists; the probe object is merely incomplete
        return f"kubernetes-validate (Kubernetes {self.kubernetes_version})"

    def errors(self, obj: Obj) -> list[str]:
        where = describe(obj)
        if not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
            return [f"{where}: apiVersion and kind are required"]
        api_kind = (obj["apiVersion"], obj["kind"])
        crd = self._custom.get(api_kind)
        if crd is not None:
            validator = self._validators.get(api_kind)
            if validator is None:
                validator = jsonschema.Draft7Validator(crd.schema)
                self._validators[api_kind] = validator
            self.checked[api_kind] += 1
            return [
                f"{where} ({obj['apiVersion']}): {_format_path(e.absolute_path)}: {e.message}"
                for e in sorted(
                    validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))
                )
            ]
        crd_dir = self._group_dirs.get(_group(obj["apiVersion"]))
        if crd_dir is not None:
            return [
                f"{where}: {obj['apiVersion']} {obj['kind']} is not served by the CRDs in "
                f"{_display(crd_dir)} (deprecated or unknown API version)"
            ]
        if not self.is_builtin(obj["apiVersion"]):
            return [
                f"{where}: no schema for {obj['apiVersion']} {obj['kind']} (a CRD kind: add "
                f"its upstream CRD under {_display(SCHEMAS)}/ with its provenance)"
            ]
        try:
            kubernetes_validate.validate(obj, self.kubernetes_version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            return [
                f"{where}: {obj['apiVersion']} {obj['kind']} is not served by Kubernetes "
                f"{self.kubernetes_version} (removed or unknown API version)"
            ]
        except kubernetes_validate.ValidationError as e:
            self.checked[api_kind] += 1
            return [f"{where} ({obj['apiVersion']}): {_format_path(e.absolute_path)}: {e.message}"]
        self.checked[api_kind] += 1
        return []


# --------------------------------------------------------------------------------------------
# test vs prod: only overlay values may differ


# (kind, dotted path) patterns of the differences an environment overlay may introduce.
ALLOWED_OVERLAY_DIFFERENCES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("HelmRelease", re.compile(r"spec\.chart\.spec\.version")),
    ("HelmRelease", re.compile(r"spec\.values\.(.+\.)?replicaCount")),
    # Replica counts as a range: a service's HPA (on, and its bounds) per environment.
    (
        "HelmRelease",
        re.compile(r"spec\.values\.(.+\.)?autoscaling\.(enabled|minReplicas|maxReplicas)"),
    ),
    ("HelmRelease", re.compile(r"spec\.values\.(.+\.)?resources\.(requests|limits)\.memory")),
    ("HelmRelease", re.compile(r"spec\.values\.(.+\.)?image\.tag")),
    ("Deployment|StatefulSet", re.compile(r"spec\.replicas")),
    (
        "Deployment|StatefulSet",
        re.compile(
            r"spec\.template\.spec\.(init)?[cC]ontainers\[\d+\]\.resources\.(requests|limits)\.memory"
        ),
    ),
    (
        "Deployment|StatefulSet",
        re.compile(r"spec\.template\.spec\.(init)?[cC]ontainers\[\d+\]\.image"),
    ),
)


@dataclass(frozen=True)
class Difference:
    object: str
    path: str
    left: Any
    right: Any

    def __str__(self) -> str:
        return f"{self.object}: {self.path}: {self.left!r} != {self.right!r}"


def _leaves(node: Any) -> dict[str, Any]:
    out = {}
    for path, value in walk(node):
        if not isinstance(value, dict | list) or not value:
            out[_format_path(path)] = value
    return out


def _image_tag_only(left: Any, right: Any) -> bool:
    if not (isinstance(left, str) and isinstance(right, str)):
        return False
    return left.rsplit(":", 1)[0] == right.rsplit(":", 1)[0]


def normalise_environment(objects: Iterable[Obj], env: str) -> dict[tuple[str, str, str, str], Obj]:
    """Objects keyed by identity, with the environment's own name in Flux Kustomization paths
    replaced (``./apps/test`` and ``./apps/prod`` are the same slot)."""
    out = {}
    for obj in objects:
        obj = copy.deepcopy(obj)
        if is_flux_kustomization(obj) and isinstance(obj.get("spec", {}).get("path"), str):
            obj["spec"]["path"] = re.sub(
                rf"/{re.escape(env)}(?=/|$)", "/<env>", obj["spec"]["path"]
            )
        out[key(obj)] = obj
    return out


def overlay_differences(
    left: Mapping[Any, Obj], right: Mapping[Any, Obj]
) -> tuple[list[str], list[Difference]]:
    """Compare two normalised environments. Returns (problems, allowed differences): a problem
    is an object present on one side only or a difference no overlay rule allows."""
    problems = [f"only in the first environment: {k}" for k in left.keys() - right.keys()]
    problems += [f"only in the second environment: {k}" for k in right.keys() - left.keys()]
    allowed: list[Difference] = []
    for k in sorted(left.keys() & right.keys()):
        a, b = _leaves(left[k]), _leaves(right[k])
        for path in sorted(a.keys() | b.keys()):
            if a.get(path, "<absent>") == b.get(path, "<absent>"):
                continue
            diff = Difference(
                describe(left[k]), path, a.get(path, "<absent>"), b.get(path, "<absent>")
            )
            rule = any(
                re.fullmatch(kinds, left[k]["kind"]) and pattern.fullmatch(path)
                for kinds, pattern in ALLOWED_OVERLAY_DIFFERENCES
            )
            if rule and path.endswith(".image") and not _image_tag_only(diff.left, diff.right):
                rule = False
            (allowed.append(diff) if rule else problems.append(f"not an overlay value: {diff}"))
    return problems, allowed


# --------------------------------------------------------------------------------------------
# AWS-only components (R22): what the local cluster must not contain


AWS_ONLY_API_GROUPS = frozenset({"elbv2.k8s.aws", "cert-manager.io", "brupop.bottlerocket.aws"})
AWS_ONLY_KEY_PREFIXES = (
    "alb.ingress.kubernetes.io/",
    "service.beta.kubernetes.io/aws-load-balancer",
    "eks.amazonaws.com/",
    "elbv2.k8s.aws/",
)
AWS_ONLY_CHARTS = frozenset(
    {
        "aws-load-balancer-controller",
        "external-dns",
        "cert-manager",
        "bottlerocket-update-operator",
        "bottlerocket-shadow",
    }
)
AWS_ONLY_NAMESPACES = frozenset({"cert-manager", "external-dns", "brupop-bottlerocket-aws"})


def aws_only_findings(objects: Iterable[Obj]) -> list[str]:
    """Everything in ``objects`` that only makes sense on AWS, one readable line each."""
    found = []
    for obj in objects:
        where = describe(obj)
        group = str(obj.get("apiVersion", "")).split("/")[0]
        spec = obj.get("spec") or {}
        if group in AWS_ONLY_API_GROUPS:
            found.append(f"{where}: AWS controller API {obj['apiVersion']}")
        if obj.get("kind") == "HelmRelease":
            chart = (spec.get("chart") or {}).get("spec", {}).get("chart", "")
            if chart in AWS_ONLY_CHARTS:
                found.append(f"{where}: AWS component chart {chart}")
        if obj.get("kind") == "StorageClass" and obj.get("provisioner") == "ebs.csi.aws.com":
            found.append(f"{where}: EBS StorageClass")
        if obj.get("kind") == "Service" and spec.get("type") == "LoadBalancer":
            found.append(f"{where}: cloud load balancer Service")
        if obj.get("kind") == "Ingress" and spec.get("ingressClassName") == "alb":
            found.append(f"{where}: ALB Ingress")
        if obj.get("kind") in {"HelmRepository", "OCIRepository"} and spec.get("provider") == "aws":
            found.append(f"{where}: source authenticated with AWS")
        if (obj.get("metadata") or {}).get("namespace") in AWS_ONLY_NAMESPACES or (
            obj.get("kind") == "Namespace" and obj["metadata"]["name"] in AWS_ONLY_NAMESPACES
        ):
            found.append(f"{where}: namespace of an AWS component")
        for path, value in walk(obj):
            if isinstance(value, dict):
                found += [
                    f"{where}: AWS-only key {k} at {_format_path(path)}"
                    for k in value
                    if isinstance(k, str) and k.startswith(AWS_ONLY_KEY_PREFIXES)
                ]
            elif isinstance(value, str) and ("arn:aws:" in value or ".amazonaws.com" in value):
                found.append(f"{where}: AWS reference {value!r} at {_format_path(path)}")
    return found
