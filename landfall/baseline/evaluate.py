"""Run the baseline over the offline inventory of ``landfall plan`` and apply exemptions.

Every stack is evaluated on its own, as the policy pack would evaluate it during ``pulumi
preview`` of that stack. Exemptions come from ``landfall:policyExemptions``; a policy that applies
only to prod is simply not evaluated elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from landfall.baseline.policies import POLICIES, Policy, policy_named, stack_violations


class Exemption(Protocol):
    @property
    def policy(self) -> str: ...

    @property
    def reason(self) -> str: ...


class Recorded(Protocol):
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Violation:
    policy: str
    severity: str
    source: str
    stack: str
    resource: str | None
    type: str | None
    message: str
    exempted_because: str | None = None


@dataclass
class PolicyReport:
    environment: str
    violations: list[Violation] = field(default_factory=list)
    exemptions: dict[str, str] = field(default_factory=dict)
    unknown_exemptions: list[str] = field(default_factory=list)
    policies_evaluated: list[str] = field(default_factory=list)
    resources_evaluated: int = 0

    @property
    def unexempted(self) -> list[Violation]:
        return [v for v in self.violations if v.exempted_because is None]

    @property
    def exempted(self) -> list[Violation]:
        return [v for v in self.violations if v.exempted_because is not None]

    @property
    def unused_exemptions(self) -> list[str]:
        hit = {v.policy for v in self.exempted}
        return [name for name in self.exemptions if name not in hit]

    @property
    def passed(self) -> bool:
        return not self.unexempted and not self.unknown_exemptions

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "environment": self.environment,
            "policiesEvaluated": self.policies_evaluated,
            "resourcesEvaluated": self.resources_evaluated,
            "violations": [asdict(v) for v in self.unexempted],
            "exempted": [asdict(v) for v in self.exempted],
            "exemptions": [{"policy": k, "reason": r} for k, r in self.exemptions.items()],
            "unknownExemptions": self.unknown_exemptions,
            "unusedExemptions": self.unused_exemptions,
        }

    def summary(self) -> str:
        """The plan summary's policy section."""
        lines = [
            f"== security baseline: {len(self.policies_evaluated)} policies over "
            f"{self.resources_evaluated} resources ({self.environment})"
        ]
        if not self.policies_evaluated:
            lines[0] += "; the baseline covers the AWS environments only"
        for v in self.unexempted:
            where = f"{v.stack}/{v.resource}" if v.resource else v.stack
            lines.append(f"   VIOLATION {v.policy} [{v.severity}] {where}: {v.message}")
        for name, reason in self.exemptions.items():
            count = sum(1 for v in self.exempted if v.policy == name)
            lines.append(f"   exempted  {name} ({count} finding(s)): {reason}")
        for name in self.unknown_exemptions:
            lines.append(
                f"   ERROR     landfall:policyExemptions names unknown policy {name!r}; use one of "
                "the names in docs/security.md"
            )
        if self.passed:
            lines.append("   result: PASSED (no unexempted violations)")
        else:
            failures = len(self.unexempted) + len(self.unknown_exemptions)
            lines.append(
                f"   result: FAILED, {failures} unexempted violation(s) or bad exemption(s); "
                "landfall plan exits with status 1"
            )
        return "\n".join(lines)


def evaluate_stack(environment: str, stack: str, resources: Sequence[Recorded]) -> list[Violation]:
    """Every violation of the policies that apply to ``environment`` in one stack."""
    found: list[Violation] = []
    for policy in applicable(environment):
        for r in resources:
            messages = policy.evaluate(r.type, r.inputs)
            found += [_violation(policy, stack, r.name, r.type, m) for m in messages]
        pairs = [(r.type, r.inputs) for r in resources]
        found += [_violation(policy, stack, None, None, m) for m in stack_violations(policy, pairs)]
    return found


def evaluate_plan(plan: Any, exemptions: Sequence[Exemption]) -> PolicyReport:
    """Evaluate an ``EnvironmentPlan`` (duck-typed: ``environment`` and ``stacks``)."""
    stacks: Mapping[str, Any] = plan.stacks
    return evaluate_stacks(
        plan.environment,
        {s.stack: s.resources for s in stacks.values()},
        exemptions,
    )


def evaluate_stacks(
    environment: str, stacks: Mapping[str, Sequence[Recorded]], exemptions: Sequence[Exemption]
) -> PolicyReport:
    report = PolicyReport(environment=environment)
    report.policies_evaluated = [p.name for p in applicable(environment)]
    for e in exemptions:
        if policy_named(e.policy) is None:
            report.unknown_exemptions.append(e.policy)
        else:
            report.exemptions[e.policy] = e.reason
    for stack, resources in stacks.items():
        report.resources_evaluated += len(resources)
        for v in evaluate_stack(environment, stack, resources):
            reason = report.exemptions.get(v.policy)
            report.violations.append(
                v if reason is None else Violation(**{**asdict(v), "exempted_because": reason})
            )
    return report


def applicable(environment: str) -> list[Policy]:
    return [p for p in POLICIES if p.applies_to(environment)]


def _violation(
    policy: Policy, stack: str, name: str | None, type_token: str | None, message: str
) -> Violation:
    return Violation(
        policy=policy.name,
        severity=policy.severity,
        source=policy.source,
        stack=stack,
        resource=name,
        type=type_token,
        message=message,
    )
