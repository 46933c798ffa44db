"""Layer 1, the network stack: VPC, DNS and certificate, ALB, RDS, OpenSearch, ECR, KMS keys."""

from __future__ import annotations

from components.vpc import Vpc, VpcArgs
from landfall.aws import aws_provider, component_opts
from landfall.config import EnvironmentConfig


def run(cfg: EnvironmentConfig) -> None:
    provider = aws_provider(cfg, "network")
    opts = component_opts(provider)
    net = cfg.require("network", cfg.network)
    Vpc(
        "vpc",
        VpcArgs(
            name_prefix=cfg.name_prefix,
            cluster_name=cfg.name_prefix,
            plan=cfg.subnet_plan(),
            nat_per_az=net.nat_gateways == "per-az",
            interface_endpoints=net.interface_endpoints,
            flow_log_retention_days=net.flow_log_retention_days,
        ),
        opts,
    )
