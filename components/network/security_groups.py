"""Security groups of the network stack: each named ``<component>-sg``, tagged with a Name, and
opened one TCP port at a time."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def security_group(
    name: str,
    vpc_id: pulumi.Input[str],
    description: str,
    name_tag: str,
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """The component ``name``'s own security group, without inline rules (rules are separate
    resources, so one can change without replacing the group)."""
    return aws.ec2.SecurityGroup(
        f"{name}-sg", vpc_id=vpc_id, description=description, tags={"Name": name_tag}, opts=opts
    )


def tcp_ingress(
    name: str,
    security_group_id: pulumi.Input[str],
    port: int,
    description: str,
    opts: pulumi.ResourceOptions,
    *,
    cidr_ipv4: pulumi.Input[str] | None = None,
    referenced_security_group_id: pulumi.Input[str] | None = None,
) -> aws.vpc.SecurityGroupIngressRule:
    """Admit one TCP port from a CIDR or from another security group."""
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=security_group_id,
        description=description,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4=cidr_ipv4,
        referenced_security_group_id=referenced_security_group_id,
        opts=opts,
    )


def data_store_security_group(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    description: str,
    name_tag: str,
    port: int,
    rule_description: str,
    client_security_group_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    """A data store's group: ``port`` open only to members of the data-access security group the
    cluster stack attaches to its nodes."""
    group = security_group(name, vpc_id, description, name_tag, opts)
    tcp_ingress(
        f"{name}-from-data-access",
        group.id,
        port,
        rule_description,
        opts,
        referenced_security_group_id=client_security_group_id,
    )
    return group
