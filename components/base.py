"""What every landfall component shares: the base class that registers its outputs, the one
way the components create a CloudWatch log group, and where their Lambda functions' code lives
and which runtime runs it."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
from pydantic.alias_generators import to_camel

# The functions' handlers (``functions/<name>/handler.py``), each shipped on its own.
FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"
# A runtime AWS supports until 2028 (Lambda Developer Guide, "Supported runtimes"); the
# functions need only the runtime's standard library and boto3 (and what they ship with them).
LAMBDA_RUNTIME = "python3.12"


def _holds_resources(value: Any) -> bool:
    if isinstance(value, pulumi.Resource):
        return True
    if isinstance(value, Mapping):
        return any(_holds_resources(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_resources(v) for v in value)
    return False


class Component(pulumi.ComponentResource):
    """A landfall component. Every public attribute annotated on the class is part of its
    interface; ``finish()`` (the last call of ``__init__``) registers all of them as the
    component's outputs (camelCase), except child resources exposed for ``depends_on``, which
    are children rather than values. An annotated attribute left unset is a programming error
    and fails the run."""

    def output_names(self) -> list[str]:
        names: dict[str, None] = {}
        for cls in reversed(type(self).__mro__):
            if cls is Component or not issubclass(cls, Component):
                continue
            annotated = inspect.get_annotations(cls)
            names.update(dict.fromkeys(n for n in annotated if n[0] != "_"))
        return list(names)

    def outputs(self) -> dict[str, Any]:
        missing = [n for n in self.output_names() if not hasattr(self, n)]
        if missing:
            raise AttributeError(f"{type(self).__name__} did not set {', '.join(missing)}")
        values = {n: getattr(self, n) for n in self.output_names()}
        return {to_camel(n): v for n, v in values.items() if not _holds_resources(v)}

    def finish(self) -> None:
        self.register_outputs(self.outputs())


def kms_log_group(
    resource_name: str,
    log_group_name: str,
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogGroup:
    """A log group created before the service that writes to it, encrypted with a KMS key and
    with a retention: AWS services that create their own group (EKS, OpenSearch, flow logs)
    make it unencrypted and never expiring. The key's policy must let CloudWatch Logs use it."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        opts=opts,
    )
