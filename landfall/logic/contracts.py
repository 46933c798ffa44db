"""Typed stack outputs: the contract between layers (R24).

Each layer exports one of these dataclasses with ``landfall.program.outputs.export_outputs``
(one stack output per field, camelCase) and the next layer reads it back with ``read_outputs``
through a StackReference, so both sides share one list of names. Values are Pulumi inputs on the
exporting side and Outputs on the reading side.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic.alias_generators import to_camel


@dataclasses.dataclass(frozen=True)
class BootstrapOutputs:
    """The account's prerequisites (R26), read by the layers that need them."""

    # service principal (e.g. opensearchservice.amazonaws.com) -> the service-linked role's ARN
    service_linked_role_arns: Any
    github_oidc_provider_arn: Any
    secrets_provider_key_arn: Any
    preview_role_arn: Any
    deploy_role_arn: Any
    # Empty when the fleet comes from OCI (no deploy key).
    deploy_key_secret_arn: Any
    # The GitHub connection the CI runners fetch jobs through.
    github_connection_arn: Any


@dataclasses.dataclass(frozen=True)
class NetworkOutputs:
    region: Any
    account_id: Any
    vpc_id: Any
    vpc_cidr: Any
    availability_zones: Any
    public_subnet_ids: Any
    private_subnet_ids: Any
    data_subnet_ids: Any
    public_subnet_cidrs: Any
    private_subnet_cidrs: Any
    data_subnet_cidrs: Any
    # Attached by the cluster stack to every node: RDS and OpenSearch admit only this group.
    data_access_security_group_id: Any
    alb_arn: Any
    alb_dns_name: Any
    alb_zone_id: Any
    alb_security_group_id: Any
    https_listener_arn: Any
    # service name -> ip target group ARN, for the TargetGroupBinding of that service (R15).
    target_group_arns: Any
    hosted_zone_id: Any
    hosted_zone_name: Any
    hosted_zone_arn: Any
    # The zone's name servers: the NS record to add in the parent zone (delegation).
    hosted_zone_name_servers: Any
    certificate_arn: Any
    database_address: Any
    database_port: Any
    database_name: Any
    # The master user's secret: read only by the data-access function, never by a service.
    database_secret_arn: Any
    # The instance's DbiResourceId, which IAM database authentication names (rds-db:connect).
    database_resource_id: Any
    database_security_group_id: Any
    search_endpoint: Any
    search_domain_arn: Any
    search_security_group_id: Any
    search_master_role_arn: Any
    # The function the cluster stack invokes to give each service its database user and indices.
    data_access_function_name: Any
    # The operations topic every alarm notifies (the cluster stack's alarms too).
    alarm_topic_arn: Any
    ecr_registry: Any
    image_repository_urls: Any
    chart_repository_urls: Any
    cluster_kms_key_arn: Any
    secrets_kms_key_arn: Any
    data_kms_key_arn: Any
    registry_kms_key_arn: Any
    # The CodeBuild project whose runners take the cluster-facing CI jobs, and their group
    # (the cluster stack admits it to the API).
    ci_runner_project_name: Any
    ci_runner_security_group_id: Any
    # The DS record to add in the parent zone when the zone is signed (DNSSEC), else "".
    hosted_zone_ds_record: Any


def output_names(contract: type) -> list[str]:
    return [to_camel(f.name) for f in dataclasses.fields(contract)]


@dataclasses.dataclass(frozen=True)
class ClusterOutputs:
    cluster_name: Any
    kubernetes_version: Any
    cluster_endpoint: Any
    cluster_certificate_authority: Any
    cluster_security_group_id: Any
    node_security_group_id: Any
    oidc_provider_arn: Any
    oidc_issuer: Any
    node_role_arn: Any
    node_group_names: Any
    # A kubeconfig that authenticates with `aws eks get-token` (a secret output).
    kubeconfig: Any
    load_balancer_controller_role_arn: Any
    external_dns_role_arn: Any
    # Cluster Autoscaler: resizes this cluster's managed node groups only.
    cluster_autoscaler_role_arn: Any
    ebs_csi_driver_role_arn: Any
    vpc_cni_role_arn: Any
    # Flux source-controller: pulls the fleet OCI artifact and Helm charts from ECR (R3).
    flux_source_role_arn: Any
    # CI's notifier identity (R5): may only get/list/patch Flux objects.
    notifier_role_arn: Any
    # service name -> IAM role ARN of that microservice's service account (R19).
    service_role_arns: Any
