"""The fresh-account check (R26): does the plan declare everything its resources need from the
account, on an account that holds nothing yet?

Mocks create anything, so a resource that needs an account prerequisite (a service-linked role,
the GitHub OIDC provider, a delegated zone) plans fine and fails on the first real deployment.
This check models the account before the bootstrap (``AccountModel``; ``FRESH_ACCOUNT`` holds
nothing) and reports every need that neither the account nor the plan's bootstrap layer meets,
and every layer that needs the bootstrap without reading its outputs (so nothing orders it
after the bootstrap). Pure: it reads the offline inventory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from landfall.config.model import ACCOUNT_LAYER
from landfall.logic.prerequisites import GITHUB_OIDC_HOST, GITHUB_OIDC_URL

SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/aws-service-role/([a-z0-9.-]+)/")


@dataclass(frozen=True)
class AccountModel:
    """What the account holds before the plan is deployed."""

    service_linked_roles: frozenset[str] = frozenset()  # service principals
    github_oidc_provider: bool = False
    delegated_domains: frozenset[str] = frozenset()


FRESH_ACCOUNT = AccountModel()


@dataclass(frozen=True)
class Need:
    layer: str
    resource: str
    type: str
    what: str  # e.g. "service-linked role opensearchservice.amazonaws.com"
    why: str


@dataclass(frozen=True)
class Unmet:
    need: Need
    problem: str

    def render(self) -> str:
        n = self.need
        return f"{n.layer}/{n.resource} ({n.type}) needs the {n.what} ({n.why}): {self.problem}"


@dataclass
class PrerequisiteCheck:
    needs: list[Need] = field(default_factory=list)
    unmet: list[Unmet] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.unmet

    def summary(self) -> str:
        head = (
            f"== fresh account: {len(self.needs)} prerequisite(s) of the plan checked against an "
            "empty account"
        )
        if self.passed:
            return f"{head}\n   result: PASSED (the bootstrap layer declares every one)"
        lines = [head, *(f"   UNMET {u.render()}" for u in self.unmet)]
        lines.append(
            f"   result: FAILED, {len(self.unmet)} unmet; a first deployment into a new account "
            "would fail there"
        )
        return "\n".join(lines)


def _resources(inventory: Mapping[str, Any], layer: str) -> list[Mapping[str, Any]]:
    return list(inventory.get("stacks", {}).get(layer, {}).get("resources", []))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _slr(service: str) -> str:
    return f"service-linked role {service}"


def _needs_of(layer: str, r: Mapping[str, Any]) -> Iterator[Need]:
    """What one planned resource needs from the account."""
    rtype, name, inputs = str(r["type"]), str(r["name"]), r.get("inputs", {}) or {}

    def need(what: str, why: str) -> Need:
        return Need(layer, name, rtype, what, why)

    if rtype == "aws:opensearch/domain:Domain" and inputs.get("vpcOptions"):
        yield need(
            _slr("opensearchservice.amazonaws.com"), "OpenSearch refuses a VPC domain without it"
        )
    if rtype == "aws:eks/nodeGroup:NodeGroup":
        yield need(_slr("eks-nodegroup.amazonaws.com"), "EKS manages node groups through it")
        yield need(_slr("autoscaling.amazonaws.com"), "the node group's Auto Scaling group")
        if inputs.get("capacityType") == "SPOT":
            yield need(_slr("spot.amazonaws.com"), "EC2 launches Spot capacity through it")
    if rtype in ("eks:index:Cluster", "aws:eks/cluster:Cluster"):
        yield need(_slr("eks.amazonaws.com"), "the control plane's network interfaces")
    if rtype == "aws:lb/loadBalancer:LoadBalancer":
        yield need(_slr("elasticloadbalancing.amazonaws.com"), "the load balancer's interfaces")
    if rtype == "aws:rds/instance:Instance":
        yield need(_slr("rds.amazonaws.com"), "RDS manages the instance through it")
    # A policy naming a principal that does not exist is rejected (KMS: MalformedPolicyDocument,
    # IAM trust policies: MalformedPolicyDocument "Invalid principal").
    for text in _strings(inputs):
        for service in sorted(set(_ROLE_ARN.findall(text))):
            yield need(_slr(service), "a policy names it as a principal")
        if f"oidc-provider/{GITHUB_OIDC_HOST}" in text and rtype != OIDC_PROVIDER:
            yield need("GitHub Actions OIDC provider", "a trust policy federates to it")
    if rtype == "aws:acm/certificateValidation:CertificateValidation":
        yield need(
            "DNS delegation of the environment's zone",
            "ACM validates through public DNS and waits up to 75 minutes, then fails",
        )


def check_prerequisites(
    inventory: Mapping[str, Any],
    account: AccountModel = FRESH_ACCOUNT,
    delegation_waited_for: bool = False,
) -> PrerequisiteCheck:
    """Every need of the plan's layers, and which are unmet on ``account`` given what the
    bootstrap layer declares. ``delegation_waited_for``: `landfall up` delegates by hand and
    waits (no ``dns.parentZoneId``), which meets the DNS need outside the plan."""
    stacks: Mapping[str, Any] = inventory.get("stacks", {})
    env = str(inventory.get("environment", ""))
    bootstrap = _resources(inventory, ACCOUNT_LAYER)
    declared_roles = {
        str(r["inputs"].get("awsServiceName"))
        for r in bootstrap
        if r["type"] == SERVICE_LINKED_ROLE
    }
    declared_oidc = any(
        r["type"] == OIDC_PROVIDER and r["inputs"].get("url") == GITHUB_OIDC_URL for r in bootstrap
    )
    check = PrerequisiteCheck()
    for layer in stacks:
        resources = _resources(inventory, layer)
        reads_bootstrap = any(
            r["type"] == STACK_REFERENCE and str(r["name"]) == f"{env}-{ACCOUNT_LAYER}"
            for r in resources
        )
        delegates = any(
            r["type"] == "aws:route53/record:Record" and r["inputs"].get("type") == "NS"
            for r in resources
        )
        for r in resources:
            elsewhere = layer != ACCOUNT_LAYER and r["type"] == OIDC_PROVIDER
            if elsewhere and r["inputs"].get("url") == GITHUB_OIDC_URL:
                check.unmet.append(
                    Unmet(
                        Need(layer, str(r["name"]), OIDC_PROVIDER, "GitHub OIDC provider", ""),
                        "declared outside the bootstrap layer: there is one per account "
                        "(EntityAlreadyExists), and destroying this stack would delete it",
                    )
                )
            for need in _needs_of(layer, r):
                check.needs.append(need)
                problem = _unmet(
                    need,
                    layer,
                    account,
                    declared_roles,
                    declared_oidc,
                    reads_bootstrap,
                    delegates or delegation_waited_for,
                )
                if problem:
                    check.unmet.append(Unmet(need, problem))
    return check


def _unmet(
    need: Need,
    layer: str,
    account: AccountModel,
    declared_roles: set[str],
    declared_oidc: bool,
    reads_bootstrap: bool,
    delegated: bool,
) -> str | None:
    if need.what.startswith("DNS delegation"):
        return None if delegated else "nothing delegates the zone and nothing waits for it"
    if need.what.startswith("service-linked role "):
        service = need.what.removeprefix("service-linked role ")
        exists, declared = service in account.service_linked_roles, service in declared_roles
    else:
        exists, declared = account.github_oidc_provider, declared_oidc
    if exists:
        return None
    if not declared:
        return "the account has none and the bootstrap layer does not declare it"
    if layer != ACCOUNT_LAYER and not reads_bootstrap:
        return (
            "the bootstrap layer declares it, but this layer does not read the bootstrap stack, "
            "so nothing makes it wait for it"
        )
    return None
