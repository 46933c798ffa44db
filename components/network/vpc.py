"""The VPC: public, private (nodes) and isolated data subnets per AZ, NAT, endpoints, flow logs."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.base import Component, kms_log_group
from landfall.logic.cidr import SubnetPlan, Tier
from landfall.program.iam import flow_log_assume_role, flow_log_write_policy


@dataclass(frozen=True)
class VpcArgs:
    name_prefix: str
    region: str
    account_id: str
    cluster_name: str
    plan: SubnetPlan
    nat_per_az: bool
    # The flow logs' group is encrypted with this key (never left to AWS's unencrypted default).
    flow_log_kms_key_arn: pulumi.Input[str]
    interface_endpoints: list[str] = field(default_factory=list)
    flow_log_retention_days: int = 90


# Tags the AWS Load Balancer Controller and EKS use to discover subnets.
def subnet_role_tags(tier: Tier, cluster_name: str) -> dict[str, str]:
    tags = {"Tier": tier, f"kubernetes.io/cluster/{cluster_name}": "shared"}
    if tier == "public":
        tags["kubernetes.io/role/elb"] = "1"
    elif tier == "private":
        tags["kubernetes.io/role/internal-elb"] = "1"
    return tags


class Vpc(Component):
    """A three-tier VPC. Public subnets hold the ALB and NAT gateways; private subnets hold the
    nodes (no public IPs, egress through NAT); data subnets have no route to the internet at all
    and hold RDS and OpenSearch. The default security group is emptied, every flow is logged."""

    vpc_id: pulumi.Output[str]
    subnet_ids: dict[Tier, list[pulumi.Output[str]]]
    endpoint_security_group_id: pulumi.Output[str] | None
    data_access_security_group_id: pulumi.Output[str]
    # zone -> NAT gateway id (one zone with natGateways single), for the port-allocation alarms.
    nat_gateway_ids: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: VpcArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:Vpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = args.plan
        vpc = aws.ec2.Vpc(
            name,
            cidr_block=str(plan.vpc_cidr),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": args.name_prefix},
            opts=child,
        )
        self.vpc_id = vpc.id
        # Manage the default SG with no rules, so nothing can use it to open traffic (CIS 5.4).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default", vpc_id=vpc.id, ingress=[], egress=[], opts=child
        )
        # A marker group with no rules of its own: the cluster stack attaches it to every node, and
        # the database and search groups admit traffic only from it.
        data_access = aws.ec2.SecurityGroup(
            f"{name}-data-access",
            vpc_id=vpc.id,
            description="Clients of RDS and OpenSearch (attached to EKS nodes)",
            tags={"Name": f"{args.name_prefix}-data-access"},
            opts=child,
        )
        self.data_access_security_group_id = data_access.id
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, opts=child)

        self.subnet_ids = {"public": [], "private": [], "data": []}
        subnets: dict[tuple[Tier, str], aws.ec2.Subnet] = {}
        for s in plan.subnets:
            subnet = aws.ec2.Subnet(
                f"{name}-{s.tier}-{s.availability_zone}",
                vpc_id=vpc.id,
                cidr_block=str(s.cidr),
                availability_zone=s.availability_zone,
                map_public_ip_on_launch=False,
                tags={
                    "Name": f"{args.name_prefix}-{s.tier}-{s.availability_zone}",
                    **subnet_role_tags(s.tier, args.cluster_name),
                },
                opts=child,
            )
            subnets[(s.tier, s.availability_zone)] = subnet
            self.subnet_ids[s.tier].append(subnet.id)

        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags={"Name": f"{args.name_prefix}-public"},
            opts=child,
        )
        azs = [s.availability_zone for s in plan.tier("public")]
        nat_azs = azs if args.nat_per_az else azs[:1]
        nat_by_az: dict[str, aws.ec2.NatGateway] = {}
        for az in nat_azs:
            eip = aws.ec2.Eip(f"{name}-nat-{az}", domain="vpc", opts=child)
            nat_by_az[az] = aws.ec2.NatGateway(
                f"{name}-nat-{az}",
                allocation_id=eip.id,
                subnet_id=subnets[("public", az)].id,
                tags={"Name": f"{args.name_prefix}-nat-{az}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )

        self.nat_gateway_ids = {az: nat.id for az, nat in nat_by_az.items()}
        route_tables: list[pulumi.Output[str]] = [public_rt.id]
        for az in azs:
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{az}",
                subnet_id=subnets[("public", az)].id,
                route_table_id=public_rt.id,
                opts=child,
            )
            nat = nat_by_az.get(az, nat_by_az[nat_azs[0]])
            private_rt = aws.ec2.RouteTable(
                f"{name}-private-{az}",
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags={"Name": f"{args.name_prefix}-private-{az}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{az}",
                subnet_id=subnets[("private", az)].id,
                route_table_id=private_rt.id,
                opts=child,
            )
            route_tables.append(private_rt.id)
        # Data subnets: a route table with only the local route; no internet in or out.
        data_rt = aws.ec2.RouteTable(
            f"{name}-data", vpc_id=vpc.id, tags={"Name": f"{args.name_prefix}-data"}, opts=child
        )
        for az in azs:
            aws.ec2.RouteTableAssociation(
                f"{name}-data-{az}",
                subnet_id=subnets[("data", az)].id,
                route_table_id=data_rt.id,
                opts=child,
            )
        route_tables.append(data_rt.id)

        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", region.region, ".s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=route_tables,
            opts=child,
        )
        self.endpoint_security_group_id = None
        if args.interface_endpoints:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints",
                vpc_id=vpc.id,
                description="HTTPS from inside the VPC to the AWS interface endpoints",
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        description="HTTPS from the VPC",
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_blocks=[str(plan.vpc_cidr)],
                    )
                ],
                tags={"Name": f"{args.name_prefix}-endpoints"},
                opts=child,
            )
            self.endpoint_security_group_id = endpoint_sg.id
            for service in args.interface_endpoints:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}",
                    vpc_id=vpc.id,
                    service_name=pulumi.Output.concat(
                        "com.amazonaws.", region.region, f".{service}"
                    ),
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=self.subnet_ids["private"],
                    security_group_ids=[endpoint_sg.id],
                    opts=child,
                )

        log_group = kms_log_group(
            f"{name}-flow-logs",
            f"/landfall/{args.name_prefix}/vpc-flow-logs",
            args.flow_log_retention_days,
            args.flow_log_kms_key_arn,
            child,
        )
        flow_role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=flow_log_assume_role(args.region, args.account_id),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=flow_role.id,
            policy=flow_log_write_policy(log_group.arn),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            opts=child,
        )
        self.finish()
