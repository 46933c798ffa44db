"""The configuration reference, ``docs/configuration.md``, generated from the model.

Every key, its type and constraints, whether it is required and its default come from the
pydantic fields of ``landfall.config.model`` (their ``description`` is the text), each section's
intro from its class docstring. The cross-field rules of ``landfall.config.rules`` are code, so
they are summarised here in ``RULES``: keep that list in step with ``rules.py`` (a test checks
that every key ``rules.py`` reports on is mentioned). Regenerate with::

    python -m landfall.config.reference --write docs/configuration.md

The output depends on nothing but the code, so it is the same on every machine.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from landfall.config.catalogue import CATALOGUE_FILE, Catalogue
from landfall.config.model import (
    CLOUD_ENVIRONMENTS,
    ENVIRONMENTS,
    NAMESPACE,
    Cidr,
    EnvironmentConfig,
    nested_model,
)
from landfall.config.rules import CLOUD_SECTIONS
from landfall.logic.versions import SUPPORTED_KUBERNETES_VERSIONS

DOC_PATH = "docs/configuration.md"
REGENERATE = f"python -m landfall.config.reference --write {DOC_PATH}"

_CLOUD = ", ".join(CLOUD_ENVIRONMENTS)
_EN_DASH = "\N{EN DASH}"
# Top-level keys ``rules.semantic_problems`` requires in the local environment (the cloud ones are
# ``rules.CLOUD_SECTIONS``).
LOCAL_REQUIRED: tuple[str, ...] = ("local", "gitops")
_CIDR_CHECK = get_args(Cidr)[1].func

# The cross-field rules of ``rules.py`` (and the few checks made when a stack runs), by the
# environments they apply to. Plain sentences with the keys in backticks, relative to landfall:.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Every environment",
        (
            "`environment` must be the environment of the stack (`<env>-<layer>`) or command "
            "(`landfall plan <env>`) that reads the file.",
            "`gitops` is required.",
            "`gitops.source: git` needs `gitops.url`, an `ssh://` URL. `gitops.source: oci` needs "
            "`gitops.ociRepository` and exactly one of `gitops.ociSemver` and `gitops.ociTag`; "
            "`ociTag: latest` is refused.",
            "Each name in `services` appears once.",
            "No value may be a Pulumi secret (`secure:`): secrets live in AWS Secrets Manager and "
            "are referenced by name.",
            "`gitops.fluxVersion` must be a version pinned in `FLUX_RELEASES` "
            "(`landfall/logic/flux.py`).",
            "`gitops.branch` must be a valid git branch name, and `gitops.interval` more than "
            "zero.",
            "`services[].name` and `services[].namespace` must not be a reserved namespace: "
            "`default`, `kube-*`, `flux-system` or one of the platform's controllers' "
            "(`cert-manager`, `external-dns`, `brupop-bottlerocket-aws`, `platform-data`).",
            "`policyExemptions` may only name policies of the baseline "
            "(`landfall/baseline/policies.py`).",
        ),
    ),
    (
        "`local`",
        (
            "`local` (with `local.kubeContext`) is required.",
            "`network`, `dns`, `database`, `search`, `registry`, `cluster` and `ci` must not be "
            "set: "
            "the local environment uses no AWS (`loadBalancer` is ignored).",
            "`gitops.source` must be `git`: there is no ECR locally.",
        ),
    ),
    (
        f"Cloud environments ({_CLOUD})",
        (
            "These keys are required: " + ", ".join(f"`{key}`" for key in CLOUD_SECTIONS) + ".",
            "`local` must not be set.",
            "`dns.parentZoneRoleArn` needs `dns.parentZoneId`.",
            "`cluster.supportEndAcknowledged`, if set, must equal `cluster.kubernetesVersion`.",
            "`database.performanceInsightsRetentionDays` is 7, a multiple of 31 up to 713, or "
            "731; `database.instanceClass` is not a micro or small burstable class (no "
            "Performance Insights).",
            "`cluster.ssoMappings` maps at least one permission set to `cluster-admin` (the "
            "search domain's master role trusts exactly those roles).",
            "`region` must be an AWS region (botocore's `endpoints.json`).",
            "`backups.copyRegion`, if set, must be another region than `region`.",
            "`tags` follow the AWS tagging rules: keys 1 to 128 characters and not starting "
            "with `aws:`, values at most 256, only letters, digits, spaces and "
            "`_ . : / = + - @`; at most 50 tags including the 4 defaults (`Project`, "
            "`Environment`, `Layer`, `ManagedBy`).",
            "`network.vpcCidr` must be a /16 to /28 inside 10.0.0.0/8, 172.16.0.0/12, "
            "192.168.0.0/16 or 100.64.0.0/10.",
            "`network.flowLogRetentionDays`, `search.logRetentionDays` and "
            "`cluster.logRetentionDays` must be CloudWatch Logs retention periods (1, 3, 5, 7, "
            "14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, "
            "3288, 3653); `loadBalancer.accessLogRetentionDays` (an S3 lifecycle rule) may be "
            "any number of days.",
            "`database.instanceClass` must be `db.<family>.<EC2 size>` (not `metal`); "
            "`search.instanceType` and `search.dedicatedMasterType` must be OpenSearch Service "
            "instance types (botocore's `OpenSearchPartitionInstanceType`).",
            "`network.availabilityZones` must be at least 3 (one node group per AZ, R6).",
            "`network.availabilityZoneNames`, if set, lists exactly `network.availabilityZones` "
            "distinct zones of `region`.",
            "The subnets (`network.subnetPrefixLengths` for each tier in each AZ) must fit in "
            "`network.vpcCidr`.",
            "`cluster.serviceCidr` must not overlap `network.vpcCidr`, and must be a /12 to /24 "
            "inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (EKS rule).",
            "`database.maxAllocatedStorageGb` must be at least `database.allocatedStorageGb`.",
            "`search.instanceType` must support encryption at rest: not `t2.*`, "
            "`t3.micro.search` or `t3.small.search`.",
            "With `search.zoneAwareness`, `search.instanceCount` must be at least 2 and even or "
            "a multiple of 3.",
            "`cluster.kubernetesVersion` must be one of "
            + ", ".join(f"`{v}`" for v in SUPPORTED_KUBERNETES_VERSIONS)
            + " (`landfall/logic/versions.py`).",
            "`cluster.nodes` sizes must satisfy `minSize` ≤ `desiredSize` ≤ `maxSize`.",
            "`cluster.nodes.instanceTypes` must be EC2 instance types (botocore's "
            "`InstanceType`), none accelerated (GPU `p*`/`g*`, Inferentia, Trainium, `dl*`, "
            "FPGA, `vt*`: they need a Bottlerocket NVIDIA or Neuron AMI), and all of one "
            "architecture (all Graviton arm64 or all x86_64: a node group has one AMI type).",
            "`cluster.nodes.capacityType: SPOT` needs at least 3 distinct "
            "`cluster.nodes.instanceTypes` of similar size: sizes at most one step apart "
            "(`large` with `xlarge`, not `large` with `2xlarge`), and no `metal`.",
            "`cluster.endpointPublicAccessCidrs` must be public addresses (not private, shared, "
            "loopback, link-local, multicast or reserved space), each range once and not "
            "overlapping another; ranges shorter than /8, or covering 2^31 addresses or more "
            "together (`0.0.0.0/0`, or `0.0.0.0/1` with `128.0.0.0/1`), need "
            "`cluster.allowPublicEndpointFromAnywhere: true`.",
            "Each permission set appears once in `cluster.ssoMappings`.",
            "`gitops.source: git` needs `gitops.deployKeySecretId`.",
            "With `cluster.ciNotifierSubjects` empty, `gitops.url` must be a github.com URL "
            "(the CI notifier trusts that repository's branch); with `gitops.source: oci` "
            "there is no URL, so list the subjects.",
        ),
    ),
    (
        "`prod`",
        (
            "`database.multiAz` must be true.",
            "`cluster.nodes.minSize` and `cluster.nodes.desiredSize` must be at least 1: every "
            "AZ's node group runs nodes.",
            "`policyExemptions` may name only policies marked `exemptable_in_prod` in "
            "`landfall/baseline/policies.py` (none today): prod fixes the resource instead.",
            "`cluster.nodes.capacityType: SPOT` needs `cluster.allowSpotInProd: true`.",
            "`cluster.endpointPublicAccessCidrs` must be empty: the prod API endpoint is private "
            "only (R14).",
        ),
    ),
)


@dataclass(frozen=True)
class Section:
    """One model in the tree, at its YAML key path (``""`` for the top-level keys); ``file``
    names the file it lives in when that is not a settings file (the catalogue)."""

    path: str
    model: type[BaseModel]
    file: str = ""

    @property
    def title(self) -> str:
        if self.file:
            return f"`{self.file}`: `{self.path}`" if self.path else f"`{self.file}`"
        return f"`{NAMESPACE}:{self.path}`" if self.path else "Top-level keys"

    @property
    def anchor(self) -> str:
        slug = self.path.replace("[]", "").replace(".", "-").lower()
        if self.file:
            return "catalogue" + (f"-{slug}" if slug else "")
        return slug or "top-level"

    @property
    def depth(self) -> int:
        return self.path.count(".") + 1 if self.path else 1

    def key(self, alias: str) -> str:
        if self.file:
            return f"{self.path}.{alias}" if self.path else alias
        return f"{NAMESPACE}:{self.path}.{alias}" if self.path else f"{NAMESPACE}:{alias}"


def field_key(name: str, field: FieldInfo) -> str:
    """The camelCase key a field is written as in YAML."""
    return field.alias or name


def sections(
    model: type[BaseModel] = EnvironmentConfig, path: str = "", file: str = ""
) -> Iterator[Section]:
    """Every model reachable from ``model``, depth first in field order."""
    yield Section(path, model, file)
    for name, field in model.model_fields.items():
        nested, is_list = nested_model(field.annotation)
        if nested is not None:
            key = field_key(name, field)
            child = f"{path}.{key}" if path else key
            yield from sections(nested, child + ("[]" if is_list else ""), file)


# --- types ---------------------------------------------------------------------------------------


def _constraint(metadata: Sequence[Any], name: str) -> Any:
    for item in metadata:
        value = getattr(item, name, None)
        if value is not None:
            return value
    return None


def _range(low: Any, high: Any, unit: str = "", one: str = "") -> str:
    """``1 to 32 characters`` (with an en dash), ``at least 1 entry``; for numbers (no unit)
    ``1 to 6``, ``≥ 0``."""

    def counted(n: Any) -> str:
        return f"{n} {one if n == 1 else unit}"

    if low is not None and high is not None:
        return f"{low}{_EN_DASH}{high} {unit}".rstrip()
    if low is not None:
        return f"at least {counted(low)}" if unit else f"≥ {low}"
    if high is not None:
        return f"at most {counted(high)}" if unit else f"≤ {high}"
    return ""


def _validated(metadata: Sequence[Any]) -> str | None:
    """The name of a string's validator: the CIDR check, or what a ``_matching`` check accepts
    (read from the closure that ``model._matching`` builds)."""
    for item in metadata:
        func = getattr(item, "func", None)
        if func is None:
            continue
        if func is _CIDR_CHECK:
            return "IPv4 CIDR"
        what = inspect.getclosurevars(func).nonlocals.get("what")
        if isinstance(what, str):
            return what
    return None


def _section_link(section_path: str) -> str:
    """A link to a nested section; ``file:path`` for a section of another file (the catalogue)."""
    file, _, path = section_path.rpartition(":")
    target = Section(path, BaseModel, file)
    return f"[{target.title}](#{target.anchor})"


def type_text(annotation: Any, metadata: Sequence[Any] = (), path: str = "") -> str:
    """A readable type, with the constraints pydantic enforces (``ge``/``le``, lengths,
    patterns, validators). ``path`` is the key's YAML path, for links to nested sections."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        return type_text(base, [*extra, *metadata], path)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return " or ".join(type_text(a, metadata, path) for a in args)
    if origin is Literal:
        return "one of: " + ", ".join(f"`{v}`" for v in get_args(annotation))
    if origin is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            text = f"list of entries, see {_section_link(path + '[]')}"
        else:
            text = f"list of {type_text(item, (), path)}"
        count = _range(
            _constraint(metadata, "min_length"),
            _constraint(metadata, "max_length"),
            "entries",
            "entry",
        )
        return f"{text} ({count})" if count else text
    if origin is dict:
        key, value = get_args(annotation)
        return f"map of {type_text(key)} to {type_text(value, (), path)}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"section, see {_section_link(path)}"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        bounds = _range(_constraint(metadata, "ge"), _constraint(metadata, "le"))
        return f"integer ({bounds})" if bounds else "integer"
    if annotation is str:
        parts = []
        validated = _validated(metadata)
        length = _range(
            _constraint(metadata, "min_length"),
            _constraint(metadata, "max_length"),
            "characters",
            "character",
        )
        if length:
            parts.append(length)
        pattern = _constraint(metadata, "pattern")
        if pattern is not None:
            parts.append(f"matching `{pattern}`")
        head = validated or "string"
        return f"{head} ({', '.join(parts)})" if parts else head
    return getattr(annotation, "__name__", str(annotation))


# --- defaults ------------------------------------------------------------------------------------


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, BaseModel):
        dumped = value.model_dump(by_alias=True)
        return "{" + ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in dumped.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_scalar(v)}" for k, v in value.items()) + "}"
    return str(value)


def default_text(section: Section, name: str, field: FieldInfo) -> str:
    """Required, required in some environments, or the default as YAML."""
    if field.is_required():
        return "**required**"
    if not section.path:
        key = field_key(name, field)
        envs = [
            env
            for env in ENVIRONMENTS
            if key in (CLOUD_SECTIONS if env in CLOUD_ENVIRONMENTS else LOCAL_REQUIRED)
        ]
        if envs:
            return (
                "**required**"
                if len(envs) == len(ENVIRONMENTS)
                else f"required in {', '.join(envs)}"
            )
    default = field.get_default(call_default_factory=True)
    if default is None:
        return "unset"
    text = _yaml_scalar(default)
    if isinstance(default, BaseModel) and len(text) > 50:
        return "the section's defaults"
    return f"`{text}`"


# --- Markdown ------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _paragraph(docstring: str | None) -> str:
    """A class docstring as one Markdown paragraph (reST ``literals`` as Markdown code)."""
    return " ".join(inspect.cleandoc(docstring or "").split()).replace("``", "`")


def _table(section: Section) -> list[str]:
    lines = [
        "| key | type | required / default | description |",
        "|---|---|---|---|",
    ]
    for name, field in section.model.model_fields.items():
        key = section.key(field_key(name, field))
        relative = key.removeprefix(f"{NAMESPACE}:")
        if section.file:
            relative = f"{section.file}:{relative}"
        cells = (
            f"`{key}`",
            type_text(field.annotation, field.metadata, relative),
            default_text(section, name, field),
            field.description or "",
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _rules() -> list[str]:
    lines = [
        '<a id="per-environment-rules"></a>',
        "## Per-environment rules",
        "",
        "Checked after every key's own type and range (`landfall/config/rules.py`); a file that "
        "breaks any of them is refused with every problem listed, before anything is deployed. "
        "Keys are relative to `landfall:`.",
    ]
    for heading, rules in RULES:
        lines += ["", f"### {heading}", ""]
        lines += [f"- {rule}" for rule in rules]
    return lines


def render_reference() -> str:
    """``docs/configuration.md``: every key of the model, then the per-environment rules."""
    all_sections = [*sections(), *sections(Catalogue, file=CATALOGUE_FILE)]
    lines = [
        "<!-- Generated from landfall/config/model.py by landfall/config/reference.py; do not "
        f"edit. Regenerate: {REGENERATE} -->",
        "",
        "# Configuration reference",
        "",
        f"Generated from the settings model; regenerate with `{REGENERATE}` "
        "(`tests/test_config_reference.py` fails while this file is stale).",
        "",
        "Each environment's settings live in `Pulumi.<env>.yaml` (`local`, `test`, `prod`), "
        "shared by its stacks, under `config:`. Top-level keys are written "
        f"`{NAMESPACE}:<key>`, nested keys in camelCase below them; `[]` marks the entries of a "
        "list. Unknown keys are errors. Cross-field and per-environment requirements are listed "
        "under [Per-environment rules](#per-environment-rules). Services are not settings: they "
        f"are declared once in the catalogue, [`{CATALOGUE_FILE}`](#catalogue), and projected "
        f"into each environment's `{NAMESPACE}:services`.",
        "",
        "```yaml",
        "config:",
        f"  {NAMESPACE}:environment: test",
        f"  {NAMESPACE}:network:",
        "    vpcCidr: 10.20.0.0/16",
        "    natGateways: single",
        "```",
        "",
        "## Sections",
        "",
    ]
    lines += [f"- [{s.title}](#{s.anchor})" for s in all_sections]
    lines.append("- [Per-environment rules](#per-environment-rules)")
    for section in all_sections:
        hashes = "#" * min(section.depth + 1, 4)
        lines += [
            "",
            f'<a id="{section.anchor}"></a>',
            f"{hashes} {section.title}",
            "",
            _paragraph(section.model.__doc__),
            "",
            *_table(section),
        ]
    lines += ["", *_rules()]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m landfall.config.reference",
        description=f"Print the configuration reference ({DOC_PATH}), or write it to a file.",
    )
    parser.add_argument("--write", metavar="PATH", help=f"write it to PATH, e.g. {DOC_PATH}")
    args = parser.parse_args(argv)
    text = render_reference()
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8", newline="\n")
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
