"""The network stack, per environment, asserted on the inputs recorded by the offline harness."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from stack_queries import of_type, one

from landfall.config import load_environment_file
from landfall.logic.contracts import NetworkOutputs, output_names

ENVS = ["test", "prod"]


@pytest.fixture(params=ENVS)
def env(request) -> str:
    return request.param


@pytest.fixture
def net(env, env_plan):
    return env_plan(env).stacks["network"]


def policy(text: str) -> dict[str, Any]:
    return json.loads(text)


def test_outputs_are_exactly_the_contract(net):
    assert sorted(net.outputs) == sorted(output_names(NetworkOutputs))
    assert all(value not in (None, "", [], {}) for value in net.outputs.values())


def test_every_aws_resource_uses_the_tagged_account_pinned_provider(env, net):
    provider = one(net, "pulumi:providers:aws", "aws")
    cfg = load_environment_file(env)
    assert provider.inputs["region"] == cfg.region
    assert json.loads(provider.inputs["allowedAccountIds"]) == [cfg.account_id]
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert tags["Environment"] == env and tags["Project"] == "landfall"
    assert tags["Layer"] == "network" and tags["ManagedBy"] == "pulumi"
    aws_resources = [r for r in net.resources if r.type.startswith("aws:")]
    assert aws_resources
    for r in aws_resources:
        assert r.options["provider"].startswith(provider.urn), r.name


def test_three_tier_subnets_in_three_azs(env, net):
    subnets = of_type(net, "aws:ec2/subnet:Subnet")
    assert len(subnets) == 9
    by_tier: dict[str, list] = {}
    for s in subnets:
        by_tier.setdefault(s.inputs["tags"]["Tier"], []).append(s)
        assert s.inputs["mapPublicIpOnLaunch"] is False
        assert s.inputs["tags"][f"kubernetes.io/cluster/landfall-{env}"] == "shared"
    assert {t: len(v) for t, v in by_tier.items()} == {"public": 3, "private": 3, "data": 3}
    for tier_subnets in by_tier.values():
        assert len({s.inputs["availabilityZone"] for s in tier_subnets}) == 3
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in by_tier["public"])
    assert all(
        s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in by_tier["private"]
    )
    assert all("kubernetes.io/role/elb" not in s.inputs["tags"] for s in by_tier["private"])


def test_nat_per_az_in_prod_single_in_test(env, net):
    expected = {"test": 1, "prod": 3}[env]
    assert len(of_type(net, "aws:ec2/natGateway:NatGateway")) == expected
    private_tables = [
        r for r in of_type(net, "aws:ec2/routeTable:RouteTable") if "-private-" in r.name
    ]
    assert len(private_tables) == 3
    nat_ids = {t.inputs["routes"][0]["natGatewayId"] for t in private_tables}
    assert len(nat_ids) == expected


def test_data_subnets_have_no_internet_route(net):
    data_rt = one(net, "aws:ec2/routeTable:RouteTable", "vpc-data")
    assert not data_rt.inputs.get("routes")


def test_flow_logs_default_sg_and_endpoints(env, net):
    flow = one(net, "aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["vpcId"].startswith("vpc-")
    group = one(net, "aws:cloudwatch/logGroup:LogGroup", "vpc-flow-logs")
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert group.inputs["retentionInDays"] == {"test": 30, "prod": 365}[env]
    default_sg = one(net, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs.get("ingress", []) == [] and default_sg.inputs.get("egress", []) == []
    endpoint_list = of_type(net, "aws:ec2/vpcEndpoint:VpcEndpoint")
    endpoints = {r.inputs["serviceName"]: r for r in endpoint_list}
    assert endpoints["com.amazonaws.eu-west-2.s3"].inputs["vpcEndpointType"] == "Gateway"
    cfg = load_environment_file(env)
    for service in cfg.network.interface_endpoints:
        endpoint = endpoints[f"com.amazonaws.eu-west-2.{service}"]
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert len(endpoint.inputs["subnetIds"]) == 3


def test_hosted_zone_and_dns_validated_certificate(env, net):
    cfg = load_environment_file(env)
    zone = one(net, "aws:route53/zone:Zone")
    assert zone.inputs["name"] == cfg.dns.domain
    # Test is destroyed with whatever records are left; prod's zone is never emptied.
    assert zone.inputs["forceDestroy"] is (env == "test")
    cert = one(net, "aws:acm/certificate:Certificate")
    assert cert.inputs["domainName"] == cfg.dns.domain
    assert cert.inputs["subjectAlternativeNames"] == [f"*.{cfg.dns.domain}"]
    assert cert.inputs["validationMethod"] == "DNS"
    validation = one(net, "aws:acm/certificateValidation:CertificateValidation")
    assert len(validation.inputs["validationRecordFqdns"]) == 1
    assert net.outputs["certificateArn"] == net.outputs["certificateArn"].strip()


def test_alb_https_only_hardened_with_logs(env, net):
    prod = env == "prod"
    alb = one(net, "aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["internal"] is False
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is prod
    assert alb.inputs["accessLogs"]["enabled"] is True
    assert len(alb.inputs["subnets"]) == 3
    listeners = {r.inputs["port"]: r for r in of_type(net, "aws:lb/listener:Listener")}
    redirect = listeners[80].inputs["defaultActions"][0]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"]["protocol"] == "HTTPS"
    assert redirect["redirect"]["statusCode"] == "HTTP_301"
    https = listeners[443].inputs
    assert https["protocol"] == "HTTPS"
    assert https["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    assert https["certificateArn"] == net.outputs["certificateArn"]


def test_alb_security_group_opens_only_80_and_443(net):
    alb_sg = one(net, "aws:ec2/securityGroup:SecurityGroup", "alb-sg")
    assert not alb_sg.inputs.get("ingress")
    public_rules = [
        r
        for r in of_type(net, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("cidrIpv4") == "0.0.0.0/0"
    ]
    assert sorted(r.inputs["fromPort"] for r in public_rules) == [80, 443]
    assert all(r.inputs["fromPort"] == r.inputs["toPort"] for r in public_rules)
    assert all(r.parent and r.parent.endswith("::alb") for r in public_rules)
    rules = of_type(net, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert all(r.inputs.get("description") for r in rules)


def test_access_log_bucket_private_encrypted_and_policy_scoped(env, net):
    block = one(net, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block.inputs[k] is True
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    sse = one(
        net,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "AES256"  # the only encryption ALB log delivery supports
    doc = policy(one(net, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    write, deny = doc["Statement"]
    assert write["Principal"] == {"AWS": "arn:aws:iam::652711504416:root"}
    assert write["Action"] == "s3:PutObject" and write["Resource"].endswith("/alb/*")
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_ip_target_group_and_host_rule_per_service(env, net):
    cfg = load_environment_file(env)
    groups = of_type(net, "aws:lb/targetGroup:TargetGroup")
    assert len(groups) == len(cfg.services)
    for tg in groups:
        assert tg.inputs["targetType"] == "ip"
        assert tg.inputs["healthCheck"]["path"] == "/healthz"
    assert sorted(net.outputs["targetGroupArns"]) == sorted(s.name for s in cfg.services)
    rule = one(net, "aws:lb/listenerRule:ListenerRule", "alb-payments")
    host = rule.inputs["conditions"][0]["hostHeader"]["values"]
    assert host == [f"payments.{cfg.dns.domain}"]


def test_database_private_encrypted_managed_secret(env, net):
    prod = env == "prod"
    db = one(net, "aws:rds/instance:Instance")
    i = db.inputs
    assert i["engine"] == "mariadb"
    assert i["publiclyAccessible"] is False
    assert i["storageEncrypted"] is True and i["kmsKeyId"] == net.outputs["dataKmsKeyArn"]
    assert i["manageMasterUserPassword"] is True
    assert i["masterUserSecretKmsKeyId"] == net.outputs["secretsKmsKeyArn"]
    assert "password" not in i and "passwordWo" not in i
    assert i["iamDatabaseAuthenticationEnabled"] is True
    assert set(i["enabledCloudwatchLogsExports"]) == {"audit", "error", "slowquery"}
    assert i["backupRetentionPeriod"] == {"test": 3, "prod": 30}[env]
    assert i["multiAz"] is prod
    assert i["deletionProtection"] is prod
    assert i["skipFinalSnapshot"] is (not prod)
    assert ("finalSnapshotIdentifier" in i) is prod
    assert db.options["protect"] is prod and db.options["retainOnDelete"] is prod
    subnet_group = one(net, "aws:rds/subnetGroup:SubnetGroup")
    assert subnet_group.inputs["subnetIds"] == net.outputs["dataSubnetIds"]
    params = {
        p["name"]: p["value"]
        for p in one(net, "aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]
    }
    assert params["require_secure_transport"] == "ON"


def test_data_stores_admit_only_the_data_access_group(net):
    data_access = net.outputs["dataAccessSecurityGroupId"]
    for name, port in (("database-from-data-access", 3306), ("search-from-data-access", 443)):
        rule = one(net, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name)
        assert rule.inputs["referencedSecurityGroupId"] == data_access
        assert rule.inputs["fromPort"] == rule.inputs["toPort"] == port
        assert "cidrIpv4" not in rule.inputs
    for group in ("database", "search"):
        targets = [
            r
            for r in of_type(net, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if r.name.startswith(f"{group}-")
        ]
        assert len(targets) == 1


def test_opensearch_in_vpc_encrypted_fgac_logged(env, net):
    prod = env == "prod"
    domain = one(net, "aws:opensearch/domain:Domain")
    i = domain.inputs
    assert set(i["vpcOptions"]["subnetIds"]) <= set(net.outputs["dataSubnetIds"])
    assert i["encryptAtRest"] == {"enabled": True, "kmsKeyId": net.outputs["dataKmsKeyArn"]}
    assert i["nodeToNodeEncryption"]["enabled"] is True
    assert i["domainEndpointOptions"]["enforceHttps"] is True
    assert "TLS-1-2" in i["domainEndpointOptions"]["tlsSecurityPolicy"]
    fgac = i["advancedSecurityOptions"]
    assert fgac["enabled"] is True and fgac["internalUserDatabaseEnabled"] is False
    assert {o["logType"] for o in i["logPublishingOptions"]} == {
        "INDEX_SLOW_LOGS",
        "SEARCH_SLOW_LOGS",
        "ES_APPLICATION_LOGS",
        "AUDIT_LOGS",
    }
    cluster = i["clusterConfig"]
    assert cluster["zoneAwarenessEnabled"] is prod
    assert cluster["dedicatedMasterEnabled"] is prod
    assert cluster["instanceCount"] == {"test": 1, "prod": 3}[env]
    assert len(i["vpcOptions"]["subnetIds"]) == {"test": 1, "prod": 3}[env]
    assert domain.options["protect"] is prod


def test_ecr_repositories_immutable_scanned_encrypted(env, net):
    repos = of_type(net, "aws:ecr/repository:Repository")
    assert {r.inputs["name"] for r in repos} == {"payments", "charts/payments"}
    for r in repos:
        assert r.inputs["imageTagMutability"] == "IMMUTABLE"
        assert r.inputs["imageScanningConfiguration"]["scanOnPush"] is True
        assert r.inputs["encryptionConfigurations"][0]["encryptionType"] == "KMS"
        assert r.options["retainOnDelete"] is (env == "prod")
    for lifecycle in of_type(net, "aws:ecr/lifecyclePolicy:LifecyclePolicy"):
        rules = json.loads(lifecycle.inputs["policy"])["rules"]
        assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "any"]


def test_kms_keys_rotate_and_are_protected_in_prod(env, net, env_plan):
    keys = of_type(net, "aws:kms/key:Key")
    # Five per purpose, us-east-1's DNSSEC and query-log keys, and in prod the key of the
    # backup copies in the copy region.
    assert len(keys) == {"test": 7, "prod": 8}[env]
    for key in keys:
        # Asymmetric keys (the DNSSEC KSK) cannot rotate automatically.
        rotates = bool(key.inputs.get("enableKeyRotation"))
        assert rotates is (key.inputs.get("keyUsage") != "SIGN_VERIFY"), key.name
        assert key.inputs["deletionWindowInDays"] == {"test": 7, "prod": 30}[env]
        assert key.options["protect"] is (env == "prod")
    cluster_key = policy(one(net, "aws:kms/key:Key", "kms-cluster").inputs["policy"])
    by_sid = {s["Sid"]: s for s in cluster_key["Statement"]}
    # KMS rejects a policy naming a role that does not exist yet: the principal is the bootstrap
    # stack's role (its output), not an ARN written here.
    autoscaling = (
        env_plan(env)
        .stacks["bootstrap"]
        .outputs["serviceLinkedRoleArns"]["autoscaling.amazonaws.com"]
    )
    for sid in ("AutoScalingUsesKeyForVolumes", "AutoScalingCreatesGrantsForVolumes"):
        assert by_sid[sid]["Principal"] == {"AWS": autoscaling}
    other_keys = [k for k in keys if k.name not in ("kms-cluster", "dns-security-ksk")]
    assert all("autoscaling" not in k.inputs["policy"] for k in other_keys)


def test_stateful_resources_protected_only_in_prod(env, net):
    stateful_types = {
        "aws:rds/instance:Instance",
        "aws:opensearch/domain:Domain",
        "aws:kms/key:Key",
        "aws:route53/zone:Zone",
    }
    for r in net.resources:
        if r.type in stateful_types:
            assert r.options["protect"] is (env == "prod"), r.name
            assert r.options["retainOnDelete"] is (env == "prod"), r.name
    unprotected = [r for r in net.resources if r.type not in stateful_types]
    assert any(not r.options["protect"] for r in unprotected)


def test_oci_fleet_source_adds_its_ecr_repository():
    from landfall.config import config_file, read_config_file
    from landfall.plan.harness import plan_environment

    raw = read_config_file(config_file("test"))
    raw["landfall:gitops"] = {
        "source": "oci",
        "ociRepository": "fleet/landfall",
        "ociSemver": ">=1.0.0",
    }
    raw["landfall:cluster"] = {
        **raw["landfall:cluster"],
        "ciNotifierSubjects": ["repo:example/landfall-fleet:ref:refs/heads/main"],
    }
    plan = plan_environment("test", raw_config=raw, layers=("bootstrap", "network"))
    names = {
        r.inputs["name"] for r in of_type(plan.stacks["network"], "aws:ecr/repository:Repository")
    }
    assert "fleet/landfall" in names


@pytest.mark.parametrize("env", ["test", "prod"])
def test_the_zones_name_servers_are_exported_for_delegation(env, env_plan):
    """Certificate validation waits until the parent zone delegates to these (issue 11)."""
    outputs = env_plan(env).stacks["network"].outputs
    servers = outputs["hostedZoneNameServers"]
    assert isinstance(servers, list) and len(servers) == 4


@pytest.mark.parametrize("env", ["test", "prod"])
def test_the_database_log_groups_exist_encrypted_before_the_instance(env, env_plan):
    """RDS creates a missing export group itself, unencrypted and never expiring: each exported
    log's group is declared first, with the data key and the configured retention. The general
    log (every statement) is not exported (docs/security.md)."""
    net = env_plan(env).stacks["network"]
    cfg = env_plan(env).config
    instance = one(net, "aws:rds/instance:Instance")
    exports = instance.inputs["enabledCloudwatchLogsExports"]
    assert "general" not in exports and {"audit", "error", "slowquery"} <= set(exports)
    groups = {
        g.inputs["name"]: g
        for g in of_type(net, "aws:cloudwatch/logGroup:LogGroup")
        if g.inputs["name"].startswith("/aws/rds/instance/")
    }
    identifier = instance.inputs["identifier"]
    assert set(groups) == {f"/aws/rds/instance/{identifier}/{log}" for log in exports}
    for group in groups.values():
        assert (
            group.inputs["kmsKeyId"]
            and group.inputs["kmsKeyId"]
            == (env_plan(env).stacks["network"].outputs["dataKmsKeyArn"])
        )
        assert group.inputs["retentionInDays"] == cfg.database.log_retention_days
        assert group.urn in instance.options["dependsOn"]
        assert group.options["protect"] is cfg.is_production


def test_a_parent_zone_gets_the_delegation_before_the_certificate_is_validated():
    from landfall.config import config_file, read_config_file
    from landfall.plan.harness import plan_environment
    from landfall.plan.prerequisites import check_prerequisites

    raw = read_config_file(config_file("test"))
    role = "arn:aws:iam::333333333333:role/dns-delegation"
    raw["landfall:dns"] = {
        **raw["landfall:dns"],
        "parentZoneId": "Z0123456789PARENT",
        "parentZoneRoleArn": role,
    }
    plan = plan_environment("test", raw_config=raw, layers=("bootstrap", "network"))
    net = plan.stacks["network"]
    record = one(net, "aws:route53/record:Record", "dns-delegation")
    zone = one(net, "aws:route53/zone:Zone")
    assert record.inputs["zoneId"] == "Z0123456789PARENT"
    assert record.inputs["type"] == "NS" and record.inputs["name"] == "test.landfall.example.com"
    assert record.inputs["records"] == net.outputs["hostedZoneNameServers"]
    validation = one(net, "aws:acm/certificateValidation:CertificateValidation")
    assert record.urn in validation.options["dependsOn"]
    # Written by a provider that assumes the role in the parent's account, not the stack's.
    parent = one(net, "pulumi:providers:aws", "dns-parent")
    # Provider inputs reach the engine JSON-encoded.
    assert json.loads(parent.inputs["assumeRoles"])[0]["roleArn"] == role
    assert "allowedAccountIds" not in parent.inputs
    assert record.options["provider"].startswith(parent.urn)
    assert zone.inputs["name"] == "test.landfall.example.com"
    assert check_prerequisites(plan.as_json(), delegation_waited_for=False).passed
    # DNSSEC's chain of trust: the DS record goes to the parent too, once the zone signs.
    ds = one(net, "aws:route53/record:Record", "dns-security-ds")
    assert ds.inputs["zoneId"] == "Z0123456789PARENT" and ds.inputs["type"] == "DS"
    assert ds.inputs["records"] == [net.outputs["hostedZoneDsRecord"]]
    signing = one(net, "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec")
    assert signing.urn in ds.options["dependsOn"]
    assert ds.options["provider"].startswith(parent.urn)


def test_without_a_parent_zone_nothing_writes_a_delegation(net):
    ns = [r for r in of_type(net, "aws:route53/record:Record") if r.inputs.get("type") == "NS"]
    assert ns == []


# --- CI runners inside the VPC (R27) -------------------------------------------------------


def codebuild_enum(shape: str) -> list[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("codebuild")
    return list(model.shape_for(shape).enum)


def test_the_ci_runner_runs_in_the_private_subnets_with_https_out_only(env, net, env_plan):
    project = one(net, "aws:codebuild/project:Project")
    group = one(net, "aws:ec2/securityGroup:SecurityGroup", "ci-runner")
    vpc = project.inputs["vpcConfig"]
    assert vpc["subnets"] == net.outputs["privateSubnetIds"]
    assert vpc["securityGroupIds"] == [net.outputs["ciRunnerSecurityGroupId"]]
    assert group.inputs.get("ingress", []) == []
    assert [(e["fromPort"], e["toPort"], e["protocol"]) for e in group.inputs["egress"]] == [
        (443, 443, "tcp")
    ]
    assert project.inputs["name"] == net.outputs["ciRunnerProjectName"] == f"landfall-{env}-runner"
    # The values AWS accepts (botocore's CodeBuild model).
    environment = project.inputs["environment"]
    assert environment["type"] in codebuild_enum("EnvironmentType")
    assert environment["computeType"] in codebuild_enum("ComputeType")
    assert environment["privilegedMode"] is False
    source = project.inputs["source"]
    assert source["type"] in codebuild_enum("SourceType")
    assert source["auth"]["type"] in codebuild_enum("SourceAuthType")
    connection = env_plan(env).stacks["bootstrap"].outputs["githubConnectionArn"]
    assert source["auth"]["resource"] == connection
    assert source["location"] == "https://github.com/example/landfall.git"
    assert 5 <= project.inputs["buildTimeout"] <= 2160  # CodeBuild's range, in minutes
    logs = project.inputs["logsConfig"]["cloudwatchLogs"]
    group_names = {g.inputs["name"] for g in of_type(net, "aws:cloudwatch/logGroup:LogGroup")}
    assert logs["groupName"] in group_names  # the KMS-encrypted group, not CodeBuild's own


def test_the_ci_runner_starts_only_for_queued_workflow_jobs(net):
    hook = one(net, "aws:codebuild/webhook:Webhook")
    [group] = hook.inputs["filterGroups"]
    assert group["filters"] == [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]
    assert all(f["type"] in codebuild_enum("WebhookFilterType") for f in group["filters"])
    assert hook.inputs["buildType"] in codebuild_enum("WebhookBuildType")


def test_the_ci_runner_role_attaches_only_to_the_private_subnets(env, net, env_plan):
    from iam_decisions import allowed

    cfg = env_plan(env).config
    role = one(net, "aws:iam/rolePolicy:RolePolicy", "ci-runner")
    doc = role.inputs["policy"]
    [permission] = [s for s in json.loads(doc)["Statement"] if "Condition" in s]
    subnets = permission["Condition"]["StringEquals"]["ec2:Subnet"]
    subnets = subnets if isinstance(subnets, list) else [subnets]
    assert sorted(s.rsplit("/", 1)[1] for s in subnets) == sorted(net.outputs["privateSubnetIds"])
    assert allowed([doc], "logs:PutLogEvents", "arn:aws:logs:x:1:log-group:/other:*") is False
    assert allowed([doc], "ec2:CreateNetworkInterface", "*")
    assert not allowed([doc], "ec2:RunInstances", "*")
    assert not allowed([doc], "sts:AssumeRole", "*")  # the jobs use their own OIDC roles
    assert (
        permission["Resource"] == f"arn:aws:ec2:{cfg.region}:{cfg.account_id}:network-interface/*"
    )


def test_the_access_log_bucket_keeps_versions_for_a_while_and_aborts_stale_uploads(net):
    versioning = one(net, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    lifecycle = one(net, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    [rule] = lifecycle.inputs["rules"]
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
    # S3 refuses noncurrent-version rules before the bucket's versioning is configured.
    assert versioning.urn in lifecycle.options["dependsOn"]


# --- AWS WAF on the ALB --------------------------------------------------------------------


def wafv2_model():
    import botocore.session

    return botocore.session.get_session().get_service_model("wafv2")


def test_the_alb_is_behind_waf_with_managed_rules_and_a_rate_limit(env, net):
    model = wafv2_model()
    acl = one(net, "aws:wafv2/webAcl:WebAcl")
    assert acl.inputs["scope"] in model.shape_for("Scope").enum
    assert acl.inputs["scope"] == "REGIONAL"  # ALBs take regional web ACLs
    assert "allow" in acl.inputs["defaultAction"]
    rules = sorted(acl.inputs["rules"], key=lambda r: r["priority"])
    assert [r["name"] for r in rules] == [
        "rate-limit-per-ip",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    rate = rules[0]["statement"]["rateBasedStatement"]
    limits = model.shape_for("RateLimit").metadata
    assert limits["min"] <= rate["limit"] <= limits["max"]
    assert rate["aggregateKeyType"] in model.shape_for("RateBasedStatementAggregateKeyType").enum
    assert "block" in rules[0]["action"]
    pattern = re.compile(model.shape_for("MetricName").metadata["pattern"])
    for rule in rules:
        assert pattern.fullmatch(rule["visibilityConfig"]["metricName"]), rule["name"]
    for rule in rules[1:]:
        assert rule["statement"]["managedRuleGroupStatement"]["vendorName"] == "AWS"
        assert "none" in rule["overrideAction"]  # the groups' own block actions apply
    association = one(net, "aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.inputs["resourceArn"] == net.outputs["albArn"]
    logging = one(net, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
    group = one(net, "aws:cloudwatch/logGroup:LogGroup", "waf-logs")
    # WAF logs only to a log group named aws-waf-logs-*, given by its ARN.
    assert group.inputs["name"].startswith("aws-waf-logs-")
    assert logging.inputs["logDestinationConfigs"] == [
        f"arn:aws:logs:eu-west-2:{net.outputs['accountId']}:log-group:{group.inputs['name']}"
    ]
    assert group.inputs["kmsKeyId"] == net.outputs["dataKmsKeyArn"]
    assert group.inputs["retentionInDays"] == 365


def test_waf_can_be_turned_off_in_test_only_with_an_exemption():
    from landfall.baseline.evaluate import evaluate_plan
    from landfall.config import config_file, load_environment, read_config_file
    from landfall.plan.harness import plan_environment

    raw = read_config_file(config_file("test"))
    raw["landfall:loadBalancer"] = {"waf": {"enabled": False}}
    plan = plan_environment("test", raw_config=raw, layers=("bootstrap", "network"))
    assert of_type(plan.stacks["network"], "aws:wafv2/webAcl:WebAcl") == []
    report = evaluate_plan(plan, load_environment("test", raw).policy_exemptions)
    assert "alb-waf" in {v.policy for v in report.violations}


def test_every_log_group_has_a_retention_and_prod_keeps_a_year(env_plan):
    """Each group's retention comes from a setting (none is left to CloudWatch's "never
    expire"); prod keeps audit, access and flow logs at least 365 days (FSBP CloudWatch.16)."""
    for env in ("test", "prod"):
        groups = [
            g
            for stack in env_plan(env).stacks.values()
            for g in of_type(stack, "aws:cloudwatch/logGroup:LogGroup")
        ]
        assert len(groups) >= 10, env
        days = {g.inputs["name"]: g.inputs["retentionInDays"] for g in groups}
        if env == "prod":
            assert min(days.values()) >= 365, days
        else:
            assert min(days.values()) < 365  # test keeps less, which is cheaper


def test_the_search_superuser_role_is_assumable_by_the_cluster_admin_sso_roles_only(env, net):
    """...and by the data-access function's role, which maps services to their indices."""
    from landfall.logic.sso import SSO_PATH_PREFIX

    role = one(net, "aws:iam/role:Role", "search-master")
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    principals = statement["Principal"]["AWS"]
    principals = principals if isinstance(principals, list) else [principals]
    one(net, "aws:iam/role:Role", "data-access-role")
    function_roles = [p for p in principals if ":role/data-access-role-" in p]
    assert len(function_roles) == 1, principals
    principals = [p for p in principals if p not in function_roles]
    assert principals and all(SSO_PATH_PREFIX in p for p in principals)
    assert all("AWSReservedSSO_PlatformAdmin_" in p for p in principals)  # cluster-admin only
    assert not any(p.endswith(":root") for p in principals)


def test_service_roles_act_only_for_this_accounts_resources(env, net, env_plan):
    cfg = env_plan(env).config
    for role, arn in (
        ("vpc-flow-logs", f"arn:aws:ec2:{cfg.region}:{cfg.account_id}:vpc-flow-log/*"),
        (
            "ci-runner",
            f"arn:aws:codebuild:{cfg.region}:{cfg.account_id}:project/landfall-{env}-runner",
        ),
    ):
        [statement] = json.loads(one(net, "aws:iam/role:Role", role).inputs["assumeRolePolicy"])[
            "Statement"
        ]
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": cfg.account_id},
            "ArnLike": {"aws:SourceArn": arn},
        }, role


def test_rds_publishes_enhanced_monitoring_and_encrypted_performance_insights(env, net):
    from iam_decisions import managed_policy

    from landfall.logic.rds import MONITORING_INTERVALS, PERFORMANCE_INSIGHTS_RETENTION

    db = one(net, "aws:rds/instance:Instance").inputs
    assert db["monitoringInterval"] == {"test": 60, "prod": 15}[env]
    assert db["monitoringInterval"] in MONITORING_INTERVALS
    role = one(net, "aws:iam/role:Role", "database-monitoring")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "monitoring.rds.amazonaws.com"
    }
    attachment = one(
        net, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "database-monitoring"
    )
    # The AWS managed policy exists under that path (moto ships AWS's managed policies).
    assert "logs:PutLogEvents" in managed_policy(attachment.inputs["policyArn"])
    assert attachment.inputs["policyArn"].endswith(
        ":policy/service-role/AmazonRDSEnhancedMonitoringRole"
    )
    assert db["performanceInsightsEnabled"] is True
    assert db["performanceInsightsKmsKeyId"] == net.outputs["dataKmsKeyArn"]
    assert db["performanceInsightsRetentionPeriod"] in PERFORMANCE_INSIGHTS_RETENTION


# --- DNSSEC and query logging (us-east-1) ----------------------------------------------------


def test_the_zone_is_signed_with_a_us_east_1_key_route53_accepts(env, net, env_plan):
    import botocore.session

    kms_model = botocore.session.get_session().get_service_model("kms")
    cfg = env_plan(env).config
    us_east_1 = one(net, "pulumi:providers:aws", "aws-us-east-1")
    assert us_east_1.inputs["region"] == "us-east-1"
    assert json.loads(us_east_1.inputs["allowedAccountIds"]) == [cfg.account_id]
    key = one(net, "aws:kms/key:Key", "dns-security-ksk")
    # Route 53 requires an asymmetric ECC_NIST_P256 signing key in us-east-1.
    assert key.inputs["customerMasterKeySpec"] == "ECC_NIST_P256"
    assert key.inputs["customerMasterKeySpec"] in kms_model.shape_for("KeySpec").enum
    assert key.inputs["keyUsage"] == "SIGN_VERIFY"
    assert key.options["provider"].startswith(us_east_1.urn)
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    signs = statements["Route53DnssecSigns"]
    assert signs["Principal"] == {"Service": "dnssec-route53.amazonaws.com"}
    assert signs["Condition"]["StringEquals"] == {"aws:SourceAccount": cfg.account_id}
    ksk = one(net, "aws:route53/keySigningKey:KeySigningKey")
    assert re.fullmatch(r"[A-Za-z0-9_]{3,128}", ksk.inputs["name"])  # Route 53's rule
    assert ksk.inputs["status"] == "ACTIVE"
    signing = one(net, "aws:route53/hostedZoneDnsSec:HostedZoneDnsSec")
    assert signing.inputs["signingStatus"] == "SIGNING"
    assert ksk.urn in signing.options["dependsOn"]
    assert re.fullmatch(r"\d+ 13 2 [0-9A-F]{64}", net.outputs["hostedZoneDsRecord"])


def test_every_query_is_logged_to_an_encrypted_us_east_1_group(env, net):
    us_east_1 = one(net, "pulumi:providers:aws", "aws-us-east-1")
    group = one(net, "aws:cloudwatch/logGroup:LogGroup", "dns-security-query-logs")
    assert group.inputs["name"] == f"/aws/route53/{load_environment_file(env).dns.domain}"
    assert group.options["provider"].startswith(us_east_1.urn)
    key = one(net, "aws:kms/key:Key", "dns-security-query-logs")
    assert key.options["provider"].startswith(us_east_1.urn)
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    policy = one(net, "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "dns-security")
    [statement] = json.loads(policy.inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "route53.amazonaws.com"}
    assert statement["Resource"].startswith("arn:aws:logs:us-east-1:")
    query_log = one(net, "aws:route53/queryLog:QueryLog")
    assert policy.urn in query_log.options["dependsOn"]
