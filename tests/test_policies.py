"""The security baseline (landfall/security): every policy on crafted compliant and violating
props, the CrossGuard pack built and driven without the engine, and the offline plans of test
(only configured exemptions) and prod (no violations at all)."""

from __future__ import annotations

import json
import re
import runpy
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
from project import PROJECT_ROOT
from pulumi.runtime import config as pulumi_config

from landfall.baseline.evaluate import PolicyReport, evaluate_plan
from landfall.baseline.policies import (
    POLICIES,
    parse_document,
    policy_named,
    stack_violations,
)
from landfall.config import load_environment, load_environment_file, read_config_file
from landfall.plan.harness import plan_environment

with warnings.catch_warnings():  # pulumi_eks warns about its deprecated NodeGroup on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import pulumi_eks as eks

ROOT = Path(__file__).resolve().parent.parent
Props = dict[str, Any]
Case = tuple[str, Props]

# --- crafted props -------------------------------------------------------------------------------

EKS = "aws:eks/cluster:Cluster"
EKS_COMPONENT = "eks:index:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
MNG = "eks:index:ManagedNodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
NAT = "aws:ec2/natGateway:NatGateway"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RDS = "aws:rds/instance:Instance"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BACKUP = "aws:backup/selection:Selection"
PTC = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
CREATION_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
SEARCH = "aws:opensearch/domain:Domain"
KMS = "aws:kms/key:Key"
ECR = "aws:ecr/repository:Repository"
ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PUBLIC_ALB = "aws:lb/loadBalancer:LoadBalancer#public"
INTERNAL_ALB = "aws:lb/loadBalancer:LoadBalancer#internal"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
# Variants of a type for stack(): "<type>#<variant>" (the type before the #).
SUSPENDED = f"{BUCKET_VERSIONING}#suspended"
EXPIRY_ONLY = f"{BUCKET_LIFECYCLE}#expiry-only"
ROLE = "aws:iam/role:Role"
IAM_POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"

ISSUER = "oidc.eks.eu-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
OIDC_ARN = f"arn:aws:iam::111111111111:oidc-provider/{ISSUER}"
KEY_ARN = "arn:aws:kms:eu-west-2:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ZONE_ARN = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
SECRET_ARN = "arn:aws:secretsmanager:eu-west-2:111111111111:secret:landfall/test/payments-*"


def doc(*statements: Props) -> str:
    """A policy document as aws.iam.getPolicyDocument renders it (JSON text)."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def allow(actions: Any, resources: Any) -> Props:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


ADMIN_SSO_ROLE = (
    "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/"
    "AWSReservedSSO_PlatformAdmin_0123456789abcdef"
)


SCOPED = {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def trust_service(service: str, condition: Props | None) -> str:
    statement: Props = {"Effect": "Allow", "Action": "sts:AssumeRole"}
    statement["Principal"] = {"Service": service}
    if condition is not None:
        statement["Condition"] = condition
    return doc(statement)


def trust_aws(principals: Any) -> str:
    return doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": principals}})


def irsa(condition: Props) -> str:
    return doc(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": OIDC_ARN},
            "Condition": condition,
        }
    )


GITHUB = "token.actions.githubusercontent.com"
GITHUB_PINNED = {
    f"{GITHUB}:sub": "repo:example/landfall-fleet:ref:refs/heads/main",
    f"{GITHUB}:aud": "sts.amazonaws.com",
}


def github(condition: Props) -> str:
    return doc(
        {
            "Effect": "Allow",
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Principal": {"Federated": f"arn:aws:iam::111111111111:oidc-provider/{GITHUB}"},
            "Condition": condition,
        }
    )


PINNED = {
    "StringEquals": {
        f"{ISSUER}:sub": "system:serviceaccount:external-dns:external-dns",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }
}
CLUSTER: Props = {
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}},
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False},
    "accessConfig": {"authenticationMode": "API"},
}
COMPONENT: Props = {
    "encryptionConfigKeyArn": KEY_ARN,
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    "endpointPrivateAccess": True,
    "endpointPublicAccess": False,
    "authenticationMode": "API",
    "skipDefaultNodeGroup": True,
}
TEMPLATE: Props = {
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
    "blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN}},
        {"deviceName": "/dev/xvdb", "ebs": {"encrypted": "true", "kmsKeyId": KEY_ARN}},
    ],
    "networkInterfaces": [{"associatePublicIpAddress": "false"}],
}
NODES: Props = {
    "amiType": "BOTTLEROCKET_x86_64",
    "capacityType": "SPOT",
    "launchTemplate": {"id": "lt-0123456789abcdef0", "version": "1"},
}
DATABASE: Props = {
    "engine": "mariadb",
    "publiclyAccessible": False,
    "storageEncrypted": True,
    "kmsKeyId": KEY_ARN,
    "backupRetentionPeriod": 7,
    "iamDatabaseAuthenticationEnabled": True,
    "enabledCloudwatchLogsExports": ["audit", "error", "slowquery"],
    "multiAz": True,
    "deletionProtection": True,
    "skipFinalSnapshot": False,
    "manageMasterUserPassword": True,
    "monitoringInterval": 60,
    "monitoringRoleArn": "arn:aws:iam::111111111111:role/database-monitoring",
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": KEY_ARN,
}
DOMAIN: Props = {
    "vpcOptions": {"subnetIds": ["subnet-a", "subnet-b", "subnet-c"], "securityGroupIds": ["sg-1"]},
    "encryptAtRest": {"enabled": True, "kmsKeyId": KEY_ARN},
    "nodeToNodeEncryption": {"enabled": True},
    "domainEndpointOptions": {
        "enforceHttps": True,
        "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10",
    },
    "advancedSecurityOptions": {"enabled": True, "internalUserDatabaseEnabled": False},
    "logPublishingOptions": [
        {"logType": t, "cloudwatchLogGroupArn": f"arn:aws:logs:eu-west-2:1:log-group:{t}"}
        for t in ("ES_APPLICATION_LOGS", "AUDIT_LOGS", "SEARCH_SLOW_LOGS")
    ],
    "clusterConfig": {
        "instanceCount": 3,
        "zoneAwarenessEnabled": True,
        "dedicatedMasterEnabled": True,
        "dedicatedMasterCount": 3,
    },
}
ALB: Props = {
    "loadBalancerType": "application",
    "internal": False,
    "dropInvalidHeaderFields": True,
    "accessLogs": {"enabled": True, "bucket": "alb-logs"},
    "enableDeletionProtection": True,
}
HTTP_REDIRECT: Props = {
    "protocol": "HTTP",
    "port": 80,
    "defaultActions": [
        {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
        }
    ],
}
HTTPS: Props = {
    "protocol": "HTTPS",
    "port": 443,
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
}
WEB_SG: Props = {
    "description": "internet-facing ALB",
    "ingress": [
        {
            "protocol": "tcp",
            "fromPort": p,
            "toPort": p,
            "cidrBlocks": ["0.0.0.0/0"],
            "ipv6CidrBlocks": ["::/0"],
            "description": f"{p} from the internet",
        }
        for p in (80, 443)
    ],
    "egress": [
        {
            "protocol": "-1",
            "fromPort": 0,
            "toPort": 0,
            "cidrBlocks": ["10.0.0.0/16"],
            "description": "to targets in the VPC",
        }
    ],
}


def with_(props: Props, **changes: Any) -> Props:
    return {**props, **changes}


def without(props: Props, *keys: str) -> Props:
    return {k: v for k, v in props.items() if k not in keys}


# policy -> (compliant cases, violating cases); every case is (type token, props).
RESOURCE_CASES: dict[str, tuple[list[Case], list[Case]]] = {
    "log-groups-keyed-and-expiring": (
        [(LOG_GROUP, {"retentionInDays": 30, "kmsKeyId": "arn:aws:kms:eu-west-2:1:key/k"})],
        [
            (LOG_GROUP, {"retentionInDays": 30}),
            (LOG_GROUP, {"kmsKeyId": "arn:aws:kms:eu-west-2:1:key/k"}),
            (LOG_GROUP, {}),
        ],
    ),
    "eks-secrets-encryption": (
        [(EKS, CLUSTER), (EKS_COMPONENT, COMPONENT)],
        [
            (EKS, without(CLUSTER, "encryptionConfig")),
            (EKS, with_(CLUSTER, encryptionConfig={"resources": ["configmaps"]})),
            (EKS_COMPONENT, without(COMPONENT, "encryptionConfigKeyArn")),
        ],
    ),
    "eks-control-plane-logging": (
        [(EKS, CLUSTER), (EKS_COMPONENT, COMPONENT)],
        [
            (EKS, with_(CLUSTER, enabledClusterLogTypes=["api", "audit"])),
            (EKS_COMPONENT, without(COMPONENT, "enabledClusterLogTypes")),
        ],
    ),
    "eks-endpoint-private": (
        [
            (EKS, CLUSTER),
            (EKS_COMPONENT, COMPONENT),
            (
                EKS,
                with_(
                    CLUSTER,
                    vpcConfig={
                        "endpointPrivateAccess": True,
                        "publicAccessCidrs": ["203.0.113.0/24"],
                    },
                ),
            ),
        ],
        [
            (EKS, with_(CLUSTER, vpcConfig={"endpointPrivateAccess": True})),
            (EKS, with_(CLUSTER, vpcConfig={"endpointPublicAccess": False})),
            (
                EKS_COMPONENT,
                with_(COMPONENT, endpointPublicAccess=True, publicAccessCidrs=["0.0.0.0/0"]),
            ),
        ],
    ),
    "eks-endpoint-no-public-access": (
        [(EKS, CLUSTER), (EKS_COMPONENT, COMPONENT)],
        [
            (
                EKS,
                with_(
                    CLUSTER,
                    vpcConfig={
                        "endpointPrivateAccess": True,
                        "publicAccessCidrs": ["203.0.113.0/24"],
                    },
                ),
            ),
            (EKS_COMPONENT, without(COMPONENT, "endpointPublicAccess")),
        ],
    ),
    "eks-access-entries": (
        [(EKS, CLUSTER), (EKS_COMPONENT, COMPONENT)],
        [
            (EKS, without(CLUSTER, "accessConfig")),
            (EKS_COMPONENT, with_(COMPONENT, authenticationMode="API_AND_CONFIG_MAP")),
        ],
    ),
    "eks-nodes-bottlerocket": (
        [
            (NODE_GROUP, NODES),
            (MNG, {"operatingSystem": "Bottlerocket"}),
            (EKS_COMPONENT, COMPONENT),
        ],
        [
            (NODE_GROUP, with_(NODES, amiType="AL2023_x86_64_STANDARD")),
            (NODE_GROUP, without(NODES, "amiType")),
            (EKS_COMPONENT, without(COMPONENT, "skipDefaultNodeGroup")),
        ],
    ),
    "eks-nodes-no-ssh": (
        [(NODE_GROUP, NODES), (LT, TEMPLATE), (EKS_COMPONENT, COMPONENT)],
        [
            (NODE_GROUP, with_(NODES, remoteAccess={"ec2SshKey": "ops"})),
            (LT, with_(TEMPLATE, keyName="ops")),
            (EKS_COMPONENT, with_(COMPONENT, nodePublicKey="ssh-ed25519 AAAA")),
        ],
    ),
    "nodes-no-public-ip": (
        [(LT, TEMPLATE), (LT, without(TEMPLATE, "networkInterfaces")), (EKS_COMPONENT, COMPONENT)],
        [
            (LT, with_(TEMPLATE, networkInterfaces=[{"associatePublicIpAddress": "true"}])),
            (EKS_COMPONENT, without(COMPONENT, "skipDefaultNodeGroup")),
        ],
    ),
    "subnet-no-auto-public-ip": (
        [(SUBNET, {"mapPublicIpOnLaunch": False}), (SUBNET, {})],
        [(SUBNET, {"mapPublicIpOnLaunch": True})],
    ),
    "imdsv2-required": (
        [
            (LT, TEMPLATE),
            (NODE_GROUP, NODES),
            (MNG, {"enableIMDSv2": True}),
            (LT, {"metadataOptions": {"httpEndpoint": "disabled"}}),
        ],
        [
            (LT, without(TEMPLATE, "metadataOptions")),
            (LT, with_(TEMPLATE, metadataOptions={"httpTokens": "optional"})),
            (
                LT,
                with_(
                    TEMPLATE,
                    metadataOptions={"httpTokens": "required", "httpPutResponseHopLimit": 3},
                ),
            ),
            (NODE_GROUP, without(NODES, "launchTemplate")),
            (MNG, {"amiType": "BOTTLEROCKET_x86_64"}),
        ],
    ),
    "volumes-encrypted": (
        [(LT, TEMPLATE), (NODE_GROUP, NODES), (EKS_COMPONENT, COMPONENT)],
        [
            (LT, without(TEMPLATE, "blockDeviceMappings")),
            (
                LT,
                with_(
                    TEMPLATE,
                    blockDeviceMappings=[
                        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}
                    ],
                ),
            ),
            (NODE_GROUP, without(NODES, "launchTemplate")),
            (
                EKS_COMPONENT,
                with_(COMPONENT, skipDefaultNodeGroup=False, nodeRootVolumeEncrypted=False),
            ),
        ],
    ),
    "sg-no-world-ingress": (
        [
            (SG, WEB_SG),
            (
                INGRESS,
                {
                    "cidrIpv4": "0.0.0.0/0",
                    "ipProtocol": "tcp",
                    "fromPort": 443,
                    "toPort": 443,
                    "description": "HTTPS",
                },
            ),
            (
                INGRESS,
                {
                    "referencedSecurityGroupId": "sg-1",
                    "ipProtocol": "tcp",
                    "fromPort": 3306,
                    "toPort": 3306,
                    "description": "from nodes",
                },
            ),
            (
                SG_RULE,
                {
                    "type": "egress",
                    "cidrBlocks": ["0.0.0.0/0"],
                    "protocol": "-1",
                    "fromPort": 0,
                    "toPort": 0,
                    "description": "egress",
                },
            ),
        ],
        [
            (
                SG,
                with_(
                    WEB_SG,
                    ingress=[
                        {
                            "protocol": "tcp",
                            "fromPort": 22,
                            "toPort": 22,
                            "cidrBlocks": ["0.0.0.0/0"],
                            "description": "ssh",
                        }
                    ],
                ),
            ),
            (
                SG,
                with_(
                    WEB_SG,
                    ingress=[
                        {
                            "protocol": "-1",
                            "fromPort": 0,
                            "toPort": 0,
                            "ipv6CidrBlocks": ["::/0"],
                            "description": "all",
                        }
                    ],
                ),
            ),
            (
                INGRESS,
                {
                    "cidrIpv4": "0.0.0.0/0",
                    "ipProtocol": "tcp",
                    "fromPort": 80,
                    "toPort": 443,
                    "description": "range",
                },
            ),
            (
                SG_RULE,
                {
                    "type": "ingress",
                    "cidrBlocks": ["0.0.0.0/0"],
                    "protocol": "tcp",
                    "fromPort": 3306,
                    "toPort": 3306,
                    "description": "db",
                },
            ),
        ],
    ),
    "sg-rules-described": (
        [
            (SG, WEB_SG),
            (EGRESS, {"cidrIpv4": "10.0.0.0/16", "description": "to the VPC"}),
            (SG, {"description": "no rules"}),
        ],
        [
            (SG, with_(WEB_SG, egress=[{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}])),
            (INGRESS, {"referencedSecurityGroupId": "sg-1", "description": "  "}),
            (SG_RULE, {"type": "ingress", "sourceSecurityGroupId": "sg-1"}),
        ],
    ),
    "vpc-flow-logs": (
        [
            (FLOW_LOG, {"vpcId": "vpc-1", "trafficType": "ALL"}),
            (FLOW_LOG, {"vpcId": "vpc-1", "trafficType": "REJECT"}),
        ],
        [(FLOW_LOG, {"vpcId": "vpc-1", "trafficType": "ACCEPT"}), (FLOW_LOG, {"vpcId": "vpc-1"})],
    ),
    "vpc-default-sg-closed": (
        [(DEFAULT_SG, {"vpcId": "vpc-1", "ingress": [], "egress": []}), (DEFAULT_SG, {})],
        [
            (
                DEFAULT_SG,
                {"vpcId": "vpc-1", "ingress": [{"protocol": "-1", "self": True}], "egress": []},
            )
        ],
    ),
    "alb-http-to-https-redirect": (
        [(LISTENER, HTTP_REDIRECT), (LISTENER, HTTPS)],
        [
            (
                LISTENER,
                with_(HTTP_REDIRECT, defaultActions=[{"type": "forward", "targetGroupArn": "arn"}]),
            ),
            (LISTENER, {"port": 80}),
        ],
    ),
    "lb-tls-policy": (
        [
            (LISTENER, HTTPS),
            (LISTENER, HTTP_REDIRECT),
            (LISTENER, with_(HTTPS, sslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06")),
            (LISTENER, with_(HTTPS, sslPolicy="ELBSecurityPolicy-FS-1-2-Res-2020-10")),
        ],
        [
            (LISTENER, without(HTTPS, "sslPolicy")),
            (LISTENER, with_(HTTPS, sslPolicy="ELBSecurityPolicy-2016-08")),
            (LISTENER, with_(HTTPS, sslPolicy="ELBSecurityPolicy-TLS13-1-1-2021-06")),
        ],
    ),
    "alb-drop-invalid-headers": (
        [(LB, ALB), (LB, {"loadBalancerType": "network"})],
        [(LB, without(ALB, "dropInvalidHeaderFields", "loadBalancerType"))],
    ),
    "alb-access-logs": (
        [(LB, ALB)],
        [
            (LB, without(ALB, "accessLogs")),
            (LB, with_(ALB, accessLogs={"enabled": False, "bucket": "b"})),
        ],
    ),
    "lb-deletion-protection": (
        [(LB, ALB)],
        [
            (LB, with_(ALB, enableDeletionProtection=False)),
            (LB, without(ALB, "enableDeletionProtection")),
        ],
    ),
    "rds-not-public": (
        [(RDS, DATABASE), (RDS, without(DATABASE, "publiclyAccessible"))],
        [(RDS, with_(DATABASE, publiclyAccessible=True))],
    ),
    "rds-encrypted": (
        [(RDS, DATABASE)],
        [
            (RDS, without(DATABASE, "storageEncrypted")),
            (RDS, with_(DATABASE, storageEncrypted=False)),
        ],
    ),
    "rds-backups": (
        [
            (RDS, DATABASE),
            (RDS, with_(DATABASE, backupRetentionPeriod=0, replicateSourceDb="arn:aws:rds:src")),
        ],
        [
            (RDS, with_(DATABASE, backupRetentionPeriod=0)),
            (RDS, without(DATABASE, "backupRetentionPeriod")),
        ],
    ),
    "rds-iam-auth": (
        [(RDS, DATABASE)],
        [(RDS, without(DATABASE, "iamDatabaseAuthenticationEnabled"))],
    ),
    "rds-log-exports": (
        [
            (RDS, DATABASE),
            (
                RDS,
                with_(
                    DATABASE,
                    engine="postgres",
                    enabledCloudwatchLogsExports=["postgresql", "upgrade"],
                ),
            ),
        ],
        [
            (RDS, with_(DATABASE, enabledCloudwatchLogsExports=["error"])),
            (RDS, without(DATABASE, "enabledCloudwatchLogsExports")),
        ],
    ),
    "rds-multi-az": (
        [(RDS, DATABASE)],
        [(RDS, with_(DATABASE, multiAz=False)), (RDS, without(DATABASE, "multiAz"))],
    ),
    "rds-deletion-protection": (
        [(RDS, DATABASE), (RDS, without(DATABASE, "skipFinalSnapshot"))],
        [
            (RDS, with_(DATABASE, deletionProtection=False)),
            (RDS, with_(DATABASE, skipFinalSnapshot=True)),
        ],
    ),
    "rds-managed-master-password": (
        [(RDS, DATABASE)],
        [
            (RDS, without(DATABASE, "manageMasterUserPassword")),
            (RDS, with_(DATABASE, password="hunter2hunter2")),
        ],
    ),
    "opensearch-in-vpc": (
        [(SEARCH, DOMAIN)],
        [
            (SEARCH, without(DOMAIN, "vpcOptions")),
            (SEARCH, with_(DOMAIN, vpcOptions={"subnetIds": ["subnet-a"]})),
        ],
    ),
    "opensearch-encryption": (
        [(SEARCH, DOMAIN)],
        [
            (SEARCH, without(DOMAIN, "encryptAtRest")),
            (SEARCH, with_(DOMAIN, nodeToNodeEncryption={"enabled": False})),
        ],
    ),
    "opensearch-https-only": (
        [(SEARCH, DOMAIN)],
        [
            (SEARCH, without(DOMAIN, "domainEndpointOptions")),
            (
                SEARCH,
                with_(
                    DOMAIN,
                    domainEndpointOptions={
                        "enforceHttps": True,
                        "tlsSecurityPolicy": "Policy-Min-TLS-1-0-2019-07",
                    },
                ),
            ),
        ],
    ),
    "opensearch-fine-grained-access": (
        [(SEARCH, DOMAIN)],
        [
            (SEARCH, without(DOMAIN, "advancedSecurityOptions")),
            (
                SEARCH,
                with_(
                    DOMAIN,
                    advancedSecurityOptions={"enabled": True, "internalUserDatabaseEnabled": True},
                ),
            ),
        ],
    ),
    "opensearch-logs": (
        [(SEARCH, DOMAIN)],
        [
            (SEARCH, without(DOMAIN, "logPublishingOptions")),
            (
                SEARCH,
                with_(
                    DOMAIN,
                    logPublishingOptions=[
                        {"logType": "AUDIT_LOGS", "cloudwatchLogGroupArn": "arn", "enabled": True},
                        {
                            "logType": "ES_APPLICATION_LOGS",
                            "cloudwatchLogGroupArn": "arn",
                            "enabled": False,
                        },
                    ],
                ),
            ),
        ],
    ),
    "opensearch-high-availability": (
        [(SEARCH, DOMAIN)],
        [
            (SEARCH, with_(DOMAIN, clusterConfig={"instanceCount": 1})),
            (SEARCH, without(DOMAIN, "clusterConfig")),
        ],
    ),
    "rds-enhanced-monitoring": (
        [(RDS, {"monitoringInterval": 60, "monitoringRoleArn": "arn:aws:iam::1:role/m"})],
        [(RDS, {}), (RDS, {"monitoringInterval": 0}), (RDS, {"monitoringInterval": 15})],
    ),
    "rds-performance-insights-encrypted": (
        [(RDS, {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": "arn:k"})],
        [(RDS, {}), (RDS, {"performanceInsightsEnabled": True})],
    ),
    "log-retention": (
        [(LOG_GROUP, {"retentionInDays": 365}), (LOG_GROUP, {"retentionInDays": 3653})],
        [(LOG_GROUP, {}), (LOG_GROUP, {"retentionInDays": 90})],
    ),
    "kms-key-rotation": (
        [
            (KMS, {"enableKeyRotation": True}),
            (KMS, {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
        ],
        [(KMS, {}), (KMS, {"enableKeyRotation": False})],
    ),
    "ecr-scan-on-push": (
        [(ECR, {"imageScanningConfiguration": {"scanOnPush": True}})],
        [(ECR, {}), (ECR, {"imageScanningConfiguration": {"scanOnPush": False}})],
    ),
    "ecr-immutable-tags": (
        [(ECR, {"imageTagMutability": "IMMUTABLE"})],
        [(ECR, {}), (ECR, {"imageTagMutability": "MUTABLE"})],
    ),
    "irsa-trust-pinned": (
        [
            (ROLE, {"assumeRolePolicy": irsa(PINNED)}),
            (
                ROLE,
                {
                    "assumeRolePolicy": doc(
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "eks.amazonaws.com"},
                        }
                    )
                },
            ),
            (ROLE, {"assumeRolePolicy": github({"StringEquals": GITHUB_PINNED})}),
            (
                ROLE,
                {
                    "assumeRolePolicy": github(
                        {
                            "StringLike": {f"{GITHUB}:sub": "repo:example/fleet:*"},
                            "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                        }
                    )
                },
            ),
        ],
        [
            (
                ROLE,
                {
                    "assumeRolePolicy": irsa(
                        {
                            "StringLike": {
                                f"{ISSUER}:sub": "system:serviceaccount:*:*",
                                f"{ISSUER}:aud": "sts.amazonaws.com",
                            }
                        }
                    )
                },
            ),
            (
                ROLE,
                {
                    "assumeRolePolicy": irsa(
                        {
                            "StringEquals": {
                                f"{ISSUER}:sub": [
                                    "system:serviceaccount:a:b",
                                    "system:serviceaccount:c:d",
                                ],
                                f"{ISSUER}:aud": "sts.amazonaws.com",
                            }
                        }
                    )
                },
            ),
            (
                ROLE,
                {
                    "assumeRolePolicy": irsa(
                        {
                            "StringEquals": {
                                f"{ISSUER}:sub": "system:serviceaccount:external-dns:external-dns"
                            }
                        }
                    )
                },
            ),
            (
                ROLE,
                {
                    "assumeRolePolicy": doc(
                        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}
                    )
                },
            ),
            (ROLE, {"assumeRolePolicy": "{not json"}),
            (
                ROLE,
                {
                    "assumeRolePolicy": github(
                        {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}
                    )
                },
            ),
            (
                ROLE,
                {
                    "assumeRolePolicy": github(
                        {
                            "StringLike": {f"{GITHUB}:sub": "repo:*"},
                            "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
                        }
                    )
                },
            ),
        ],
    ),
    "iam-trust-named-principals": (
        [
            (ROLE, {"assumeRolePolicy": trust_aws(ADMIN_SSO_ROLE)}),
            (ROLE, {"assumeRolePolicy": trust_aws([ADMIN_SSO_ROLE, "arn:aws:iam::1:role/x"])}),
        ],
        [
            (ROLE, {"assumeRolePolicy": trust_aws("arn:aws:iam::111111111111:root")}),
            (ROLE, {"assumeRolePolicy": trust_aws(["111111111111"])}),
        ],
    ),
    "service-trust-source-scoped": (
        [
            (ROLE, {"assumeRolePolicy": trust_service("vpc-flow-logs.amazonaws.com", SCOPED)}),
            (ROLE, {"assumeRolePolicy": trust_service("ec2.amazonaws.com", None)}),
        ],
        [
            (ROLE, {"assumeRolePolicy": trust_service("vpc-flow-logs.amazonaws.com", None)}),
            (ROLE, {"assumeRolePolicy": trust_service("codebuild.amazonaws.com", {})}),
        ],
    ),
    "iam-no-admin": (
        [
            (IAM_POLICY, {"policy": doc(allow("s3:GetObject", "*"), allow("*", "arn:aws:s3:::b"))}),
            (ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}),
        ],
        [
            (IAM_POLICY, {"policy": doc(allow(["*"], ["*"]))}),
            (ROLE_POLICY, {"policy": doc(allow("*", "*"))}),
            (
                ROLE,
                {
                    "assumeRolePolicy": irsa(PINNED),
                    "inlinePolicies": [{"name": "root", "policy": doc(allow("*", "*"))}],
                },
            ),
            (ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        ],
    ),
    "route53-changes-scoped-to-zones": (
        [
            (
                IAM_POLICY,
                {
                    "policy": doc(
                        allow("route53:ChangeResourceRecordSets", ZONE_ARN),
                        allow(["route53:ListHostedZones", "route53:ListResourceRecordSets"], "*"),
                    )
                },
            ),
        ],
        [
            (IAM_POLICY, {"policy": doc(allow("route53:ChangeResourceRecordSets", "*"))}),
            (ROLE_POLICY, {"policy": doc(allow("route53:*", "arn:aws:route53:::hostedzone/*"))}),
        ],
    ),
    "secrets-access-scoped": (
        [(ROLE_POLICY, {"policy": doc(allow("secretsmanager:GetSecretValue", SECRET_ARN))})],
        [
            (ROLE_POLICY, {"policy": doc(allow("secretsmanager:GetSecretValue", "*"))}),
            (
                IAM_POLICY,
                {
                    "policy": doc(
                        allow("secretsmanager:*", "arn:aws:secretsmanager:eu-west-2:1:secret:*")
                    )
                },
            ),
        ],
    ),
}


def stack(*entries: tuple[str, int]) -> list[Case]:
    """A stack of ``count`` resources per type, with props that satisfy the per-resource rules."""
    props: dict[str, Props] = {
        VPC: {"cidrBlock": "10.0.0.0/16"},
        FLOW_LOG: {"vpcId": "vpc-1", "trafficType": "ALL"},
        DEFAULT_SG: {"vpcId": "vpc-1", "ingress": [], "egress": []},
        ECR: {"imageTagMutability": "IMMUTABLE"},
        ECR_LIFECYCLE: {"repository": "payments", "policy": "{}"},
        NAT: {"subnetId": "subnet-1"},
        BUCKET: {},
        PUBLIC_ALB: {"loadBalancerType": "application", "internal": False},
        INTERNAL_ALB: {"loadBalancerType": "application", "internal": True},
        WAF_ASSOCIATION: {"resourceArn": "arn:aws:elasticloadbalancing:…", "webAclArn": "…"},
        BUCKET_VERSIONING: {"versioningConfiguration": {"status": "Enabled"}},
        SUSPENDED: {"versioningConfiguration": {"status": "Suspended"}},
        BUCKET_LIFECYCLE: {
            "rules": [
                {"status": "Enabled", "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}}
            ]
        },
        EXPIRY_ONLY: {"rules": [{"status": "Enabled", "expiration": {"days": 30}}]},
        RDS + "#db": {"identifier": "db"},
        SEARCH + "#search": {"domainName": "search"},
        ALARM + "#db": {"dimensions": {"DBInstanceIdentifier": "db"}, "alarmActions": ["arn:t"]},
        ALARM + "#search": {"dimensions": {"DomainName": "search"}, "alarmActions": ["arn:t"]},
        ALARM + "#silent": {"dimensions": {"DBInstanceIdentifier": "db"}, "alarmActions": []},
        ALARM + "#other": {"dimensions": {"DBInstanceIdentifier": "other"}, "alarmActions": ["a"]},
        PTC + "#k8s": {"ecrRepositoryPrefix": "k8s", "upstreamRegistryUrl": "registry.k8s.io"},
        CREATION_TEMPLATE + "#k8s": {
            "prefix": "k8s",
            "appliedFors": ["PULL_THROUGH_CACHE"],
            "lifecyclePolicy": "{}",
        },
        CREATION_TEMPLATE + "#k8s-no-lifecycle": {
            "prefix": "k8s",
            "appliedFors": ["PULL_THROUGH_CACHE"],
        },
        CREATION_TEMPLATE + "#k8s-replication": {
            "prefix": "k8s",
            "appliedFors": ["REPLICATION"],
            "lifecyclePolicy": "{}",
        },
        BACKUP + "#db": {"resources": ["arn:aws:rds:eu-west-2:111111111111:db:db"]},
        BACKUP + "#all-dbs": {"resources": ["arn:aws:rds:*:*:db:*"]},
        BACKUP + "#other": {"resources": ["arn:aws:rds:eu-west-2:111111111111:db:other"]},
        BACKUP + "#tags-only": {"resources": [], "selectionTags": [{"key": "k", "value": "v"}]},
    }
    resources: list[Case] = []
    for key, count in entries:
        resources += [(key.split("#", 1)[0], props[key])] * count
    resources += [(SUBNET, {"availabilityZone": f"eu-west-2{z}"}) for z in "abc"]
    return resources


# policy -> (compliant stacks, violating stacks)
STACK_CASES: dict[str, tuple[list[list[Case]], list[list[Case]]]] = {
    "vpc-flow-logs": ([stack((VPC, 1), (FLOW_LOG, 1)), stack()], [stack((VPC, 2), (FLOW_LOG, 1))]),
    "vpc-default-sg-closed": (
        [stack((VPC, 1), (DEFAULT_SG, 1))],
        [stack((VPC, 1)), stack((VPC, 2), (DEFAULT_SG, 1))],
    ),
    "nat-gateway-per-az": ([stack((NAT, 3)), stack()], [stack((NAT, 1))]),
    "stateful-resources-alarmed": (
        [
            stack(
                (RDS + "#db", 1),
                (SEARCH + "#search", 1),
                (ALARM + "#db", 1),
                (ALARM + "#search", 1),
            ),
            stack(),
        ],
        [
            stack((RDS + "#db", 1), (SEARCH + "#search", 1), (ALARM + "#db", 1)),
            stack((RDS + "#db", 1), (ALARM + "#silent", 1)),
            stack((RDS + "#db", 1), (ALARM + "#other", 1)),
        ],
    ),
    "stateful-resources-backed-up": (
        [
            stack((RDS + "#db", 1), (BACKUP + "#db", 1)),
            stack((RDS + "#db", 1), (BACKUP + "#all-dbs", 1)),
            stack((SEARCH + "#search", 1)),  # OpenSearch snapshots itself
            stack(),
        ],
        [
            stack((RDS + "#db", 1)),
            stack((RDS + "#db", 1), (BACKUP + "#other", 1)),
            stack((RDS + "#db", 1), (BACKUP + "#tags-only", 1)),
        ],
    ),
    "ecr-mirror-templated": (
        [stack((PTC + "#k8s", 1), (CREATION_TEMPLATE + "#k8s", 1)), stack()],
        [
            stack((PTC + "#k8s", 1)),
            stack((PTC + "#k8s", 1), (CREATION_TEMPLATE + "#k8s-no-lifecycle", 1)),
            stack((PTC + "#k8s", 1), (CREATION_TEMPLATE + "#k8s-replication", 1)),
        ],
    ),
    "ecr-lifecycle-policy": (
        [stack((ECR, 2), (ECR_LIFECYCLE, 2))],
        [stack((ECR, 2), (ECR_LIFECYCLE, 1))],
    ),
    "alb-waf": (
        [stack((PUBLIC_ALB, 1), (WAF_ASSOCIATION, 1)), stack((INTERNAL_ALB, 1))],
        [stack((PUBLIC_ALB, 1)), stack((PUBLIC_ALB, 2), (WAF_ASSOCIATION, 1))],
    ),
    "s3-bucket-versioning": (
        [stack((BUCKET, 1), (BUCKET_VERSIONING, 1)), stack()],
        [stack((BUCKET, 1)), stack((BUCKET, 1), (SUSPENDED, 1))],
    ),
    "s3-lifecycle": (
        [stack((BUCKET, 1), (BUCKET_LIFECYCLE, 1))],
        [stack((BUCKET, 1)), stack((BUCKET, 1), (EXPIRY_ONLY, 1))],
    ),
}


def _case_id(case: Case) -> str:
    return case[0].split(":", 1)[1]


def resource_cases(kind: int) -> list[Any]:
    return [
        pytest.param(name, case, id=f"{name}-{_case_id(case)}-{i}")
        for name, cases in RESOURCE_CASES.items()
        for i, case in enumerate(cases[kind])
    ]


def stack_cases(kind: int) -> list[Any]:
    return [
        pytest.param(name, resources, id=f"{name}-{i}")
        for name, cases in STACK_CASES.items()
        for i, resources in enumerate(cases[kind])
    ]


# --- the registry --------------------------------------------------------------------------------


def test_every_policy_has_compliant_and_violating_cases():
    for policy in POLICIES:
        cases = [RESOURCE_CASES.get(policy.name), STACK_CASES.get(policy.name)]
        assert policy.check is None or cases[0], f"{policy.name}: no resource cases"
        assert policy.stack_check is None or cases[1], f"{policy.name}: no stack cases"
        for found in filter(None, cases):
            assert found[0] and found[1], f"{policy.name}: needs a passing and a failing case"
    assert set(RESOURCE_CASES) | set(STACK_CASES) == {p.name for p in POLICIES}


def test_policies_are_well_formed_and_cite_their_source():
    names = [p.name for p in POLICIES]
    assert len(names) == len(set(names)) and len(names) >= 40
    for p in POLICIES:
        assert p.name == p.name.lower() and " " not in p.name
        assert p.check is not None or p.stack_check is not None
        assert bool(p.resource_types) == (p.check is not None), p.name
        assert p.severity in ("low", "medium", "high", "critical")
        assert any(
            s in p.source
            for s in ("AWS FSBP", "CIS ", "EKS Best Practices", "landfall R", "User Guide")
        ), p.name
        assert p.url.startswith("https://") and p.fix and p.description.endswith(".")
        assert p.environments <= {"test", "prod"} and p.environments


def test_docs_list_every_policy():
    text = (ROOT / "docs" / "security.md").read_text()
    assert [p.name for p in POLICIES if f"`{p.name}`" not in text] == []
    assert f"{len(POLICIES)} policies" in text


def test_prod_only_policies():
    prod_only = sorted(p.name for p in POLICIES if not p.applies_to("test"))
    assert prod_only == [
        "eks-endpoint-no-public-access",
        "lb-deletion-protection",
        "log-retention",
        "rds-deletion-protection",
    ]
    assert all(p.applies_to("prod") for p in POLICIES)
    assert not any(p.applies_to("local") for p in POLICIES)


@pytest.mark.parametrize(("name", "case"), resource_cases(0))
def test_compliant_props_pass(name: str, case: Case):
    policy = policy_named(name)
    assert policy is not None and case[0] in policy.resource_types
    assert policy.evaluate(*case) == []


@pytest.mark.parametrize(("name", "case"), resource_cases(1))
def test_violating_props_fail(name: str, case: Case):
    policy = policy_named(name)
    assert policy is not None and case[0] in policy.resource_types
    messages = policy.evaluate(*case)
    assert messages and all(isinstance(m, str) and m for m in messages)


@pytest.mark.parametrize(("name", "resources"), stack_cases(0))
def test_compliant_stacks_pass(name: str, resources: list[Case]):
    policy = policy_named(name)
    assert policy is not None
    assert stack_violations(policy, resources) == []


@pytest.mark.parametrize(("name", "resources"), stack_cases(1))
def test_violating_stacks_fail(name: str, resources: list[Case]):
    policy = policy_named(name)
    assert policy is not None
    assert stack_violations(policy, resources)


def test_other_resource_types_are_ignored():
    for policy in POLICIES:
        assert policy.evaluate("aws:s3/bucket:Bucket", {}) == []


def test_policies_tolerate_empty_and_odd_props():
    odd: list[Props] = [
        {},
        {"ingress": None, "vpcConfig": [], "metadataOptions": "x", "assumeRolePolicy": 3},
        {"encryptionConfig": [{"resources": "secrets", "provider": [{"keyArn": KEY_ARN}]}]},
    ]
    for policy in POLICIES:
        for type_token in policy.resource_types:
            for props in odd:
                assert isinstance(policy.evaluate(type_token, props), list)


def test_lists_standing_for_single_blocks_are_read():
    """Some engines hand single-item blocks over as lists; they read the same."""
    props = with_(
        CLUSTER, encryptionConfig=[{"resources": ["secrets"], "provider": [{"keyArn": KEY_ARN}]}]
    )
    assert policy_named("eks-secrets-encryption").evaluate(EKS, props) == []  # type: ignore[union-attr]


def test_policy_documents_parse():
    statements, error = parse_document(doc(allow(["s3:GetObject", "s3:PutObject"], "*")))
    assert error is None and statements[0].actions == ("s3:GetObject", "s3:PutObject")
    assert parse_document("[1]")[1] == "policy document is not a JSON object"
    assert parse_document({"Statement": {"Effect": "Deny", "Action": "*"}})[0][0].effect == "Deny"


# --- props the policies read exist in the providers ----------------------------------------------


def engine_names(args_class: type) -> set[str]:
    names = set()
    for attr in dir(args_class):
        prop = getattr(args_class, attr, None)
        if isinstance(prop, property):
            names.add(getattr(prop.fget, "_pulumi_name", None) or attr)
    return names


READ_PROPS: list[tuple[type, tuple[str, ...]]] = [
    (
        aws.eks.ClusterArgs,
        ("encryptionConfig", "enabledClusterLogTypes", "vpcConfig", "accessConfig"),
    ),
    (
        aws.eks.ClusterVpcConfigArgs,
        ("endpointPrivateAccess", "endpointPublicAccess", "publicAccessCidrs"),
    ),
    (aws.eks.ClusterEncryptionConfigArgs, ("resources", "provider")),
    (aws.eks.ClusterEncryptionConfigProviderArgs, ("keyArn",)),
    (aws.eks.ClusterAccessConfigArgs, ("authenticationMode",)),
    (
        eks.ClusterArgs,
        (
            "encryptionConfigKeyArn",
            "enabledClusterLogTypes",
            "endpointPrivateAccess",
            "endpointPublicAccess",
            "publicAccessCidrs",
            "authenticationMode",
            "skipDefaultNodeGroup",
            "nodePublicKey",
            "nodeAssociatePublicIpAddress",
            "nodeRootVolumeEncrypted",
        ),
    ),
    (aws.eks.NodeGroupArgs, ("amiType", "launchTemplate", "remoteAccess")),
    (aws.eks.NodeGroupLaunchTemplateArgs, ("id", "name")),
    (
        eks.ManagedNodeGroupArgs,
        ("amiType", "operatingSystem", "launchTemplate", "enableIMDSv2", "remoteAccess"),
    ),
    (
        aws.ec2.LaunchTemplateArgs,
        ("metadataOptions", "blockDeviceMappings", "networkInterfaces", "keyName"),
    ),
    (
        aws.ec2.LaunchTemplateMetadataOptionsArgs,
        ("httpTokens", "httpPutResponseHopLimit", "httpEndpoint"),
    ),
    (aws.ec2.LaunchTemplateBlockDeviceMappingArgs, ("deviceName", "ebs")),
    (aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs, ("encrypted",)),
    (aws.ec2.LaunchTemplateNetworkInterfaceArgs, ("associatePublicIpAddress",)),
    (aws.ec2.SubnetArgs, ("mapPublicIpOnLaunch", "availabilityZone")),
    (aws.ec2.SecurityGroupArgs, ("ingress", "egress")),
    (
        aws.ec2.SecurityGroupIngressArgs,
        ("cidrBlocks", "ipv6CidrBlocks", "fromPort", "toPort", "protocol", "description"),
    ),
    (
        aws.ec2.SecurityGroupRuleArgs,
        ("type", "cidrBlocks", "ipv6CidrBlocks", "protocol", "fromPort", "toPort", "description"),
    ),
    (
        aws.vpc.SecurityGroupIngressRuleArgs,
        ("cidrIpv4", "cidrIpv6", "ipProtocol", "fromPort", "toPort", "description"),
    ),
    (aws.ec2.DefaultSecurityGroupArgs, ("ingress", "egress")),
    (aws.ec2.FlowLogArgs, ("vpcId", "trafficType")),
    (
        aws.lb.LoadBalancerArgs,
        ("loadBalancerType", "dropInvalidHeaderFields", "accessLogs", "enableDeletionProtection"),
    ),
    (aws.lb.LoadBalancerAccessLogsArgs, ("enabled", "bucket")),
    (aws.lb.ListenerArgs, ("protocol", "port", "sslPolicy", "defaultActions")),
    (aws.lb.ListenerDefaultActionArgs, ("type", "redirect")),
    (aws.lb.ListenerDefaultActionRedirectArgs, ("protocol",)),
    (
        aws.rds.InstanceArgs,
        (
            "engine",
            "publiclyAccessible",
            "storageEncrypted",
            "backupRetentionPeriod",
            "iamDatabaseAuthenticationEnabled",
            "enabledCloudwatchLogsExports",
            "multiAz",
            "deletionProtection",
            "skipFinalSnapshot",
            "manageMasterUserPassword",
            "password",
            "passwordWo",
            "replicateSourceDb",
            "snapshotIdentifier",
        ),
    ),
    (
        aws.opensearch.DomainArgs,
        (
            "vpcOptions",
            "encryptAtRest",
            "nodeToNodeEncryption",
            "domainEndpointOptions",
            "advancedSecurityOptions",
            "logPublishingOptions",
            "clusterConfig",
        ),
    ),
    (
        aws.opensearch.DomainClusterConfigArgs,
        ("instanceCount", "zoneAwarenessEnabled", "dedicatedMasterEnabled", "dedicatedMasterCount"),
    ),
    (aws.opensearch.DomainDomainEndpointOptionsArgs, ("enforceHttps", "tlsSecurityPolicy")),
    (
        aws.opensearch.DomainAdvancedSecurityOptionsArgs,
        ("enabled", "internalUserDatabaseEnabled", "anonymousAuthEnabled"),
    ),
    (aws.opensearch.DomainLogPublishingOptionArgs, ("logType", "cloudwatchLogGroupArn", "enabled")),
    (aws.kms.KeyArgs, ("enableKeyRotation", "customerMasterKeySpec", "keyUsage")),
    (aws.ecr.RepositoryArgs, ("imageScanningConfiguration", "imageTagMutability")),
    (aws.iam.RoleArgs, ("assumeRolePolicy", "inlinePolicies", "managedPolicyArns")),
    (aws.iam.PolicyArgs, ("policy",)),
    (aws.iam.RolePolicyArgs, ("policy",)),
    (aws.iam.RolePolicyAttachmentArgs, ("policyArn",)),
]


@pytest.mark.parametrize(
    ("args_class", "props"), READ_PROPS, ids=lambda v: getattr(v, "__name__", "")
)
def test_props_read_by_policies_exist_in_the_installed_providers(args_class, props):
    missing = set(props) - engine_names(args_class)
    assert not missing, f"{args_class.__name__} has no {sorted(missing)}"


def test_type_tokens_exist_in_the_installed_providers():
    classes = {
        EKS: aws.eks.Cluster,
        NODE_GROUP: aws.eks.NodeGroup,
        LT: aws.ec2.LaunchTemplate,
        SUBNET: aws.ec2.Subnet,
        SG: aws.ec2.SecurityGroup,
        SG_RULE: aws.ec2.SecurityGroupRule,
        INGRESS: aws.vpc.SecurityGroupIngressRule,
        EGRESS: aws.vpc.SecurityGroupEgressRule,
        DEFAULT_SG: aws.ec2.DefaultSecurityGroup,
        VPC: aws.ec2.Vpc,
        FLOW_LOG: aws.ec2.FlowLog,
        NAT: aws.ec2.NatGateway,
        LB: aws.lb.LoadBalancer,
        LISTENER: aws.lb.Listener,
        RDS: aws.rds.Instance,
        SEARCH: aws.opensearch.Domain,
        KMS: aws.kms.Key,
        ECR: aws.ecr.Repository,
        ECR_LIFECYCLE: aws.ecr.LifecyclePolicy,
        ROLE: aws.iam.Role,
        IAM_POLICY: aws.iam.Policy,
        ROLE_POLICY: aws.iam.RolePolicy,
        ATTACHMENT: aws.iam.RolePolicyAttachment,
        LOG_GROUP: aws.cloudwatch.LogGroup,
        BUCKET: aws.s3.Bucket,
        BUCKET_VERSIONING: aws.s3.BucketVersioning,
        BUCKET_LIFECYCLE: aws.s3.BucketLifecycleConfiguration,
        WAF_ASSOCIATION: aws.wafv2.WebAclAssociation,
    }
    tokens = {t for p in POLICIES for t in p.resource_types} - {EKS_COMPONENT, MNG}
    assert tokens <= set(classes) | {
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
    for token, cls in classes.items():
        module, name = token.split(":")[1].split("/")
        assert (
            cls.__name__ == token.rsplit(":", 1)[1] and name[0].upper() + name[1:] == cls.__name__
        )
        assert cls.__module__.split(".")[1] == module, token


# --- the CrossGuard pack, without the engine -----------------------------------------------------


@pytest.fixture
def pack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Run policypack/__main__.py as the CLI would, with the gRPC server stubbed out; yields
    the analyzer servicer the pack registered, which the tests then call like the engine."""
    from pulumi_policy import policy as sdk

    servicers: list[Any] = []

    class Server:
        def add_insecure_port(self, address: str) -> int:
            return 0

        def start(self) -> None: ...

        def stop(self, grace: Any) -> None: ...

    real_sleep = sdk.time.sleep

    def stop_serving(seconds: float) -> None:
        if seconds != sdk._ONE_DAY_IN_SECONDS:
            real_sleep(seconds)
            return
        raise KeyboardInterrupt  # how the pack's serving loop ends

    monkeypatch.setattr(sdk.grpc, "server", lambda *a, **k: Server())
    monkeypatch.setattr(
        sdk.analyzer_pb2_grpc,
        "add_AnalyzerServicer_to_server",
        lambda servicer, server: servicers.append(servicer),
    )
    monkeypatch.setattr(sdk.time, "sleep", stop_serving)
    for var in (
        "PULUMI_STACK",
        "PULUMI_PROJECT",
        "PULUMI_DRY_RUN",
        "PULUMI_CONFIG",
        "LANDFALL_ENVIRONMENT",
    ):
        monkeypatch.delenv(var, raising=False)
    token = pulumi_config.CONFIG.set({})  # earlier harness runs leave their config behind
    try:
        runpy.run_path(str(ROOT / "policypack" / "__main__.py"), run_name="__main__")
        assert len(servicers) == 1
        yield servicers[0]
    finally:
        pulumi_config.CONFIG.reset(token)


def analyze(servicer: Any, type_token: str, props: Props, name: str = "r") -> list[Any]:
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2

    pulumi_config.CONFIG.set({})
    properties = struct_pb2.Struct()
    properties.update(props)
    request = analyzer_pb2.AnalyzeRequest(
        type=type_token,
        name=name,
        urn=f"urn:pulumi:s::landfall::{type_token}::{name}",
        properties=properties,
    )
    return list(servicer.Analyze(request, None).diagnostics)


def analyze_stack(servicer: Any, resources: list[Case]) -> list[Any]:
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2

    pulumi_config.CONFIG.set({})
    protos = []
    for i, (type_token, props) in enumerate(resources):
        properties = struct_pb2.Struct()
        properties.update(props)
        protos.append(
            analyzer_pb2.AnalyzerResource(
                type=type_token,
                name=f"r{i}",
                urn=f"urn:pulumi:s::landfall::{type_token}::r{i}",
                properties=properties,
            )
        )
    request = analyzer_pb2.AnalyzeStackRequest(resources=protos)
    return list(servicer.AnalyzeStack(request, None).diagnostics)


def test_pack_builds_every_policy():
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    from landfall.baseline.pack import build_policies

    built = build_policies()
    assert [p.name for p in built] == [p.name for p in POLICIES]
    for ours, theirs in zip(POLICIES, built, strict=True):
        kind = StackValidationPolicy if ours.stack_check else ResourceValidationPolicy
        assert isinstance(theirs, kind)
        assert theirs.enforcement_level == EnforcementLevel.MANDATORY
        assert theirs.url == ours.url and theirs.tags


def test_pack_reports_violations_like_the_engine(pack, monkeypatch):
    monkeypatch.setenv("PULUMI_STACK", "test-network")
    bad = analyze(pack, RDS, with_(DATABASE, publiclyAccessible=True, storageEncrypted=False))
    assert {d.policyName for d in bad} == {"rds-not-public", "rds-encrypted"}
    assert all(d.enforcementLevel == 1 for d in bad)  # MANDATORY
    assert analyze(pack, RDS, DATABASE) == []
    assert analyze(pack, "aws:s3/bucket:Bucket", {}) == []


def test_pack_applies_prod_rules_by_stack_name(pack, monkeypatch):
    unprotected = with_(DATABASE, deletionProtection=False)
    monkeypatch.setenv("PULUMI_STACK", "test-network")
    assert analyze(pack, RDS, unprotected) == []
    monkeypatch.setenv("PULUMI_STACK", "prod-network")
    assert [d.policyName for d in analyze(pack, RDS, unprotected)] == ["rds-deletion-protection"]


def test_pack_reads_environment_and_exemptions_from_stack_config(pack, monkeypatch):
    config = {
        "landfall:environment": "test",
        "landfall:policyExemptions": json.dumps(
            [{"policy": "rds-multi-az", "reason": "single-AZ test database to halve the cost"}]
        ),
    }
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    monkeypatch.setenv("PULUMI_STACK", "anything")
    single_az = with_(DATABASE, multiAz=False, deletionProtection=False)
    assert analyze(pack, RDS, single_az) == []
    monkeypatch.delenv("PULUMI_CONFIG")
    monkeypatch.setenv("PULUMI_STACK", "prod-network")
    assert {d.policyName for d in analyze(pack, RDS, single_az)} == {
        "rds-multi-az",
        "rds-deletion-protection",
    }


def test_pack_without_environment_applies_the_prod_rules(pack):
    found = analyze(pack, LB, with_(ALB, enableDeletionProtection=False))
    assert [d.policyName for d in found] == ["lb-deletion-protection"]


def test_pack_stack_policies(pack, monkeypatch):
    monkeypatch.setenv("PULUMI_STACK", "prod-network")
    found = analyze_stack(pack, stack((VPC, 1), (FLOW_LOG, 1), (DEFAULT_SG, 1)))
    assert found == []
    open_default = (DEFAULT_SG, {"ingress": [{"protocol": "-1", "self": True}]})
    found = analyze_stack(pack, [*stack((VPC, 1), (DEFAULT_SG, 1)), open_default])
    assert sorted(d.policyName for d in found) == ["vpc-default-sg-closed", "vpc-flow-logs"]
    assert any(d.urn for d in found if d.policyName == "vpc-default-sg-closed")


def test_pack_reports_unknown_preview_values_as_advisory(pack, monkeypatch):
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE

    monkeypatch.setenv("PULUMI_STACK", "test-network")
    found = analyze(pack, RDS, with_(DATABASE, storageEncrypted=UNKNOWN_BOOLEAN_VALUE))
    assert [(d.policyName, d.enforcementLevel) for d in found] == [("rds-encrypted", 0)]
    assert "can't run policy" in found[0].message


# --- the offline plans ---------------------------------------------------------------------------


def report_for(env: str, env_plan: Any) -> PolicyReport:
    return evaluate_plan(env_plan(env), load_environment_file(env).policy_exemptions)


def describe(report: PolicyReport) -> str:
    return "\n" + report.summary()


def test_prod_plan_has_no_violations(env_plan):
    report = report_for("prod", env_plan)
    assert report.resources_evaluated > 0
    assert report.violations == [], describe(report)
    assert report.exemptions == {}, "prod must not exempt anything"
    assert report.passed


def test_test_plan_has_only_configured_exemptions(env_plan):
    report = report_for("test", env_plan)
    assert report.unexempted == [], describe(report)
    assert report.unknown_exemptions == []
    assert report.passed
    assert {v.policy for v in report.exempted} <= set(report.exemptions)


def test_test_exemptions_are_the_documented_cost_tradeoffs():
    cfg = load_environment_file("test")
    assert {e.policy: len(e.reason) > 30 for e in cfg.policy_exemptions} == {
        "nat-gateway-per-az": True,
        "rds-multi-az": True,
        "opensearch-high-availability": True,
    }
    assert all(policy_named(e.policy) for e in cfg.policy_exemptions)


def test_exempting_an_unknown_policy_fails_the_report(env_plan):
    class Exemption:
        policy = "no-such-policy"
        reason = "a typo must not silently exempt nothing"

    report = evaluate_plan(env_plan("prod"), [Exemption()])
    assert not report.passed and report.unknown_exemptions == ["no-such-policy"]
    assert "unknown policy 'no-such-policy'" in report.summary()


def test_a_regression_in_prod_is_a_violation(env_plan):
    raw = read_config_file(ROOT / "Pulumi.prod.yaml")
    raw["landfall:network"] = {**raw["landfall:network"], "natGateways": "single"}
    plan = plan_environment("prod", raw_config=raw, layers=("bootstrap", "network"))
    cfg = load_environment("prod", raw)
    report = evaluate_plan(plan, cfg.policy_exemptions)
    assert [v.policy for v in report.unexempted] == ["nat-gateway-per-az"]
    assert not report.passed and "FAILED" in report.summary()


def test_plan_command_reports_policy_and_exit_status(tmp_path, capsys, monkeypatch, env_plan):
    """The CLI over the session's plan of test (the harness itself is tested elsewhere)."""
    import dataclasses

    import landfall.plan.harness
    from landfall.cli import main as cli  # the module: cli.main(...)

    planned = env_plan("test")
    monkeypatch.setattr(landfall.plan.harness, "plan_environment", lambda env, root: planned)
    out = tmp_path / "plan.json"
    assert cli.main(["plan", "test", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "security baseline" in printed and "exempted  rds-multi-az" in printed
    inventory = json.loads(out.read_text())
    assert {"environment", "stacks", "policy"} <= set(inventory)
    assert inventory["environment"] == "test" and "network" in inventory["stacks"]
    assert inventory["policy"]["passed"] is True and inventory["policy"]["violations"] == []
    assert {e["policy"] for e in inventory["policy"]["exemptions"]} == {
        "nat-gateway-per-az",
        "rds-multi-az",
        "opensearch-high-availability",
    }

    # Without its exemptions the same plan fails: exit status 1, violations listed.
    stripped = planned.config.model_copy(update={"policy_exemptions": []})
    without = dataclasses.replace(planned, config=stripped)
    monkeypatch.setattr(landfall.plan.harness, "plan_environment", lambda env, root: without)
    assert cli.main(["plan", "test"]) == 1
    printed = capsys.readouterr().out
    assert "VIOLATION rds-multi-az" in printed and "exits with status 1" in printed


def test_the_pack_needs_nothing_beyond_the_projects_own_dependencies() -> None:
    """Pulumi creates .venv from requirements.txt (``-e .``: no dev extras) when a user runs the
    raw CLI, and the pack runs in that .venv: every distribution it imports must be a main
    dependency of the project."""
    import ast
    import tomllib

    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    main = {
        re.split(r"[<>=\[ ;]", d, maxsplit=1)[0].lower()
        for d in pyproject["project"]["dependencies"]
    }
    assert (PROJECT_ROOT / "requirements.txt").read_text().split("\n")[-2:] == ["-e .", ""]
    tree = ast.parse((PROJECT_ROOT / "policypack" / "__main__.py").read_text())
    imported = {
        (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        and (not isinstance(n, ast.ImportFrom) or n.level == 0)
        for a in (n.names if isinstance(n, ast.Import) else [n.names[0]])
    }
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "landfall"}
    assert third_party, "the pack imports nothing?"
    assert {m.replace("_", "-") for m in third_party} <= main
