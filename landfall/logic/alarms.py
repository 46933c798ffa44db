"""The alarms of an environment's stateful and shared AWS resources, as plain data (R30).

Metrics, statistics and units follow AWS's "Recommended alarms" pages for RDS, OpenSearch
Service (whose FreeStorageSpace is in megabytes, where RDS's is in bytes), Application Load
Balancers and NAT gateways. Each alarm notifies the environment's encrypted topic when it fires
and when it recovers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from landfall.config.model import AlarmsConfig

Comparison = Literal[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]
GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch metric alarm; ``dimensions`` values may be Pulumi Outputs."""

    name: str
    description: str
    namespace: str
    metric: str
    statistic: str
    threshold: float
    comparison: Comparison
    dimensions: Mapping[str, Any] = field(default_factory=dict)
    period_seconds: int = 300
    evaluation_periods: int = 3
    # Missing data: "notBreaching" for event counts (no 5xx is no data), "breaching" where
    # silence itself is the problem.
    treat_missing_data: str = "notBreaching"
    # Metric math on the metric (id ``m``), e.g. ``DIFF(m)`` for a counter that only grows.
    expression: str | None = None


def database_alarms(prefix: str, instance_id: str, t: AlarmsConfig) -> list[AlarmSpec]:
    dims = {"DBInstanceIdentifier": instance_id}
    rds = "AWS/RDS"
    return [
        AlarmSpec(
            f"{prefix}-rds-cpu",
            f"RDS CPU above {t.rds_cpu_percent}% for 15 minutes",
            rds,
            "CPUUtilization",
            "Average",
            t.rds_cpu_percent,
            "GreaterThanThreshold",
            dims,
        ),
        AlarmSpec(
            f"{prefix}-rds-free-storage",
            f"RDS free storage below {t.rds_free_storage_gb} GiB",
            rds,
            "FreeStorageSpace",
            "Minimum",
            t.rds_free_storage_gb * GIB,
            "LessThanThreshold",
            dims,
            evaluation_periods=1,
            treat_missing_data="breaching",
        ),
        AlarmSpec(
            f"{prefix}-rds-freeable-memory",
            f"RDS freeable memory below {t.rds_freeable_memory_mb} MiB for 15 minutes",
            rds,
            "FreeableMemory",
            "Average",
            t.rds_freeable_memory_mb * MIB,
            "LessThanThreshold",
            dims,
        ),
        AlarmSpec(
            f"{prefix}-rds-connections",
            f"RDS connections above {t.rds_max_connections}",
            rds,
            "DatabaseConnections",
            "Maximum",
            t.rds_max_connections,
            "GreaterThanThreshold",
            dims,
        ),
    ]


def search_alarms(prefix: str, domain: str, account_id: str, t: AlarmsConfig) -> list[AlarmSpec]:
    dims = {"DomainName": domain, "ClientId": account_id}
    es = "AWS/ES"
    return [
        AlarmSpec(
            f"{prefix}-search-red",
            "OpenSearch cluster status red (a primary shard is unassigned)",
            es,
            "ClusterStatus.red",
            "Maximum",
            1,
            "GreaterThanOrEqualToThreshold",
            dims,
            period_seconds=60,
            evaluation_periods=1,
        ),
        AlarmSpec(
            f"{prefix}-search-yellow",
            "OpenSearch cluster status yellow for 5 minutes (a replica shard is unassigned)",
            es,
            "ClusterStatus.yellow",
            "Maximum",
            1,
            "GreaterThanOrEqualToThreshold",
            dims,
            period_seconds=60,
            evaluation_periods=5,
        ),
        AlarmSpec(
            f"{prefix}-search-free-storage",
            f"OpenSearch free storage below {t.search_free_storage_gb} GiB on a node",
            es,
            "FreeStorageSpace",
            "Minimum",
            t.search_free_storage_gb * 1024,
            "LessThanOrEqualToThreshold",
            dims,
            period_seconds=60,
            evaluation_periods=1,
        ),
        AlarmSpec(
            f"{prefix}-search-jvm-pressure",
            f"OpenSearch JVM memory pressure above {t.search_jvm_pressure_percent}%",
            es,
            "JVMMemoryPressure",
            "Maximum",
            t.search_jvm_pressure_percent,
            "GreaterThanOrEqualToThreshold",
            dims,
            evaluation_periods=3,
        ),
        AlarmSpec(
            f"{prefix}-search-snapshot-failure",
            "OpenSearch automated snapshot failed",
            es,
            "AutomatedSnapshotFailure",
            "Maximum",
            1,
            "GreaterThanOrEqualToThreshold",
            dims,
            period_seconds=60,
            evaluation_periods=1,
        ),
    ]


def load_balancer_alarms(
    prefix: str, alb_suffix: Any, target_groups: Mapping[str, Any], t: AlarmsConfig
) -> list[AlarmSpec]:
    elb = "AWS/ApplicationELB"
    alb = {"LoadBalancer": alb_suffix}
    specs = [
        AlarmSpec(
            f"{prefix}-alb-5xx",
            f"ALB answered 5xx itself more than {t.alb_errors_per_5_minutes} times in 5 minutes",
            elb,
            "HTTPCode_ELB_5XX_Count",
            "Sum",
            t.alb_errors_per_5_minutes,
            "GreaterThanThreshold",
            alb,
            evaluation_periods=1,
        ),
        AlarmSpec(
            f"{prefix}-targets-5xx",
            f"the services answered 5xx more than {t.alb_errors_per_5_minutes} times in 5 "
            "minutes (the ALB's metrics split them by target group)",
            elb,
            "HTTPCode_Target_5XX_Count",
            "Sum",
            t.alb_errors_per_5_minutes,
            "GreaterThanThreshold",
            alb,
            evaluation_periods=1,
        ),
        AlarmSpec(
            f"{prefix}-alb-latency",
            f"ALB target response time above {t.target_response_seconds}s for 15 minutes",
            elb,
            "TargetResponseTime",
            "Average",
            t.target_response_seconds,
            "GreaterThanThreshold",
            alb,
        ),
    ]
    # Per target group only what tells which service is hurt (5xx are counted over all targets
    # above): one alarm per service, not two, for sixty services.
    for service, suffix in target_groups.items():
        specs.append(
            AlarmSpec(
                f"{prefix}-{service}-unhealthy",
                f"{service}: an unhealthy target for 5 minutes",
                elb,
                "UnHealthyHostCount",
                "Maximum",
                1,
                "GreaterThanOrEqualToThreshold",
                {**alb, "TargetGroup": suffix},
                period_seconds=60,
                evaluation_periods=5,
            )
        )
    return specs


def nat_alarms(prefix: str, nat_ids: Mapping[str, Any]) -> list[AlarmSpec]:
    return [
        AlarmSpec(
            f"{prefix}-nat-{zone}-port-allocation",
            f"NAT gateway in {zone} could not allocate a source port (connections dropped)",
            "AWS/NATGateway",
            "ErrorPortAllocation",
            "Sum",
            0,
            "GreaterThanThreshold",
            {"NatGatewayId": nat_id},
            evaluation_periods=1,
        )
        for zone, nat_id in sorted(nat_ids.items())
    ]


# Container Insights (the amazon-cloudwatch-observability add-on) publishes its cluster metrics
# here; the names and the [ClusterName] dimension set are those of the enhanced observability
# metric reference (CloudWatch User Guide, "Amazon EKS and Kubernetes Container Insights with
# enhanced observability metrics").
CONTAINER_INSIGHTS = "ContainerInsights"
# What the Flux controllers' error lines count as (a metric filter on the application logs).
FLUX_ERRORS_METRIC = "FluxControllerErrors"


def container_log_groups(cluster_name: str) -> dict[str, str]:
    """The log groups the add-on writes, by kind: Fluent Bit's application, dataplane and host
    logs, and the agent's performance events (the source of the Container Insights metrics)."""
    return {
        kind: f"/aws/containerinsights/{cluster_name}/{kind}"
        for kind in ("application", "dataplane", "host", "performance")
    }


def gitops_metric_namespace(cluster_name: str) -> str:
    return f"Landfall/{cluster_name}"


# Flux controllers log JSON (fluxcd/pkg runtime/logger: --log-encoding=json); Fluent Bit's
# kubernetes filter parses it into `log_processed` (Merge_Log_Key of the add-on's
# application-log.conf). Every error of a controller in flux-system is a failed reconciliation,
# fetch or apply ("Reconciliation failed after ...", "Reconciler error").
FLUX_ERROR_PATTERN = (
    '{ $.kubernetes.namespace_name = "flux-system" && $.log_processed.level = "error" }'
)


def cluster_alarms(
    prefix: str, cluster_name: str, t: AlarmsConfig, gitops_errors: bool
) -> list[AlarmSpec]:
    """Nodes, pods and GitOps: what the monitoring company's migration says to watch from day
    one (unhealthy nodes, crash loops, OOM kills, failing deployments)."""
    dims = {"ClusterName": cluster_name}
    specs = [
        AlarmSpec(
            f"{prefix}-nodes-failed",
            "A node has been failing (NotReady or under pressure) for 5 minutes",
            CONTAINER_INSIGHTS,
            "cluster_failed_node_count",
            "Maximum",
            0,
            "GreaterThanThreshold",
            dims,
            period_seconds=60,
            evaluation_periods=5,
        ),
        AlarmSpec(
            f"{prefix}-pod-restarts",
            f"More than {t.pod_restarts_per_5_minutes} container restarts in 5 minutes",
            CONTAINER_INSIGHTS,
            "pod_number_of_container_restarts",
            "Maximum",
            t.pod_restarts_per_5_minutes,
            "GreaterThanThreshold",
            dims,
            evaluation_periods=1,
            # A running total: what grew in the period.
            expression="DIFF(m)",
        ),
        AlarmSpec(
            f"{prefix}-oom-killed",
            "A container was killed for exceeding its memory limit (OOMKilled)",
            CONTAINER_INSIGHTS,
            "pod_container_status_terminated_reason_oom_killed",
            "Maximum",
            1,
            "GreaterThanOrEqualToThreshold",
            dims,
            evaluation_periods=1,
        ),
    ]
    if gitops_errors:
        specs.append(
            AlarmSpec(
                f"{prefix}-gitops-failing",
                "Flux has failed to reconcile for 15 minutes (see the chat alert for which)",
                gitops_metric_namespace(cluster_name),
                FLUX_ERRORS_METRIC,
                "Sum",
                1,
                "GreaterThanOrEqualToThreshold",
                evaluation_periods=3,
            )
        )
    return specs
