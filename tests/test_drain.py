"""What the drain waits for, found the way it runs against AWS (moto): the objects the
cluster's controllers tag as theirs, and nothing of another cluster's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from aws_fakes import clients_for, env, moto_account

from landfall.ops.drain import controller_leftovers

pytestmark = pytest.mark.xdist_group("moto")
CLUSTER = "landfall-test"
DOMAIN = "test.landfall.example.com"


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    yield from moto_account(monkeypatch, tmp_path)


def world(cluster: str) -> None:
    """What the Load Balancer Controller, the EBS CSI driver and external-dns leave for
    ``cluster`` (their own tags and ownership records)."""
    ec2 = boto3.client("ec2", region_name="eu-west-2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"eu-west-2{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    tag = [{"Key": "elbv2.k8s.aws/cluster", "Value": cluster}]
    group = ec2.create_security_group(
        GroupName=f"k8s-traffic-{cluster}",
        Description="lbc",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tag}],
    )["GroupId"]
    boto3.client("elbv2", region_name="eu-west-2").create_load_balancer(
        Name=f"k8s-{cluster[-4:]}-nlb", Subnets=subnets, Type="network", Tags=tag
    )
    ec2.create_volume(
        AvailabilityZone="eu-west-2a",
        Size=10,
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": [{"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"}],
            }
        ],
    )
    assert group


def test_the_controllers_leftovers_are_found_and_only_this_clusters(fake_aws) -> None:
    world(CLUSTER)
    world("landfall-prod")  # another cluster's objects in the same account
    r53 = boto3.client("route53")
    zone = r53.create_hosted_zone(Name=DOMAIN, CallerReference="z")["HostedZone"]["Id"]
    owned = f'"heritage=external-dns,external-dns/owner={CLUSTER},external-dns/resource=ingress"'
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"a-payments.{DOMAIN}",
                "Type": "TXT",
                "TTL": 300,
                "ResourceRecords": [{"Value": owned}],
            },
        },
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"other.{DOMAIN}",
                "Type": "TXT",
                "TTL": 300,
                "ResourceRecords": [{"Value": '"v=spf1 -all"'}],
            },
        },
    ]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
    found = controller_leftovers(clients_for(env("test")), CLUSTER, DOMAIN)
    kinds = sorted(line.split(" ")[0] + " " + line.split(" ")[1] for line in found)
    assert kinds == ["DNS record", "EBS volume", "load balancer", "security group"]
    assert any(f"a-payments.{DOMAIN}" in line for line in found)
    assert not any("prod" in line for line in found)


def test_a_clean_account_has_nothing_left(fake_aws) -> None:
    assert controller_leftovers(clients_for(env("test")), CLUSTER, DOMAIN) == []
