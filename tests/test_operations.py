"""Operations (issue 16, R30): the alarms of every stateful and shared resource, the encrypted
topic they notify and who subscribes, per environment; values checked against botocore's
CloudWatch model."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stack_queries import of_type, one

from landfall.logic.aws_facts import _shapes
from landfall.plan.harness.mocks import MockContext, _kms

CLOUD = ["test", "prod"]
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.fixture(params=CLOUD)
def env(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def net(env: str, env_plan: Any):
    return env_plan(env).stacks["network"]


def operations_key_arn(net, cfg) -> str:
    """The ARN the offline harness gives the operations key (resources' outputs are not
    recorded, so the test asks the same mock)."""
    key = one(net, "aws:kms/key:Key", "kms-operations")
    context = MockContext(
        region=cfg.region, account_id=cfg.account_id, upstream_outputs={}, lookups={}
    )
    return str(_kms(key.name, key.inputs, context)["arn"])


def alarms_naming(net, key: str, value: str) -> list[str]:
    return [
        a.inputs["metricName"]
        for a in of_type(net, ALARM)
        if a.inputs["dimensions"].get(key) == value
    ]


def test_every_stateful_and_shared_resource_has_its_alarms(env: str, net) -> None:
    database = one(net, "aws:rds/instance:Instance")
    assert set(alarms_naming(net, "DBInstanceIdentifier", database.inputs["identifier"])) == {
        "CPUUtilization",
        "FreeStorageSpace",
        "FreeableMemory",
        "DatabaseConnections",
    }
    domain = one(net, "aws:opensearch/domain:Domain")
    assert set(alarms_naming(net, "DomainName", domain.inputs["domainName"])) == {
        "ClusterStatus.red",
        "ClusterStatus.yellow",
        "FreeStorageSpace",
        "JVMMemoryPressure",
        "AutomatedSnapshotFailure",
    }
    nats = of_type(net, "aws:ec2/natGateway:NatGateway")
    port_alarms = [
        a for a in of_type(net, ALARM) if a.inputs["metricName"] == "ErrorPortAllocation"
    ]
    assert len(port_alarms) == len(nats) == {"test": 1, "prod": 3}[env]
    groups = of_type(net, "aws:lb/targetGroup:TargetGroup")
    unhealthy = [a for a in of_type(net, ALARM) if a.inputs["metricName"] == "UnHealthyHostCount"]
    assert len(unhealthy) == len(groups) >= 1
    assert all("TargetGroup" in a.inputs["dimensions"] for a in unhealthy)


def test_alarm_values_are_ones_cloudwatch_accepts(env: str, env_plan) -> None:
    shapes = _shapes("cloudwatch", ("ComparisonOperator", "Statistic"))
    comparisons = set(shapes["ComparisonOperator"]["enum"])
    statistics = set(shapes["Statistic"]["enum"])
    stacks = env_plan(env).stacks
    alarms = of_type(stacks["network"], ALARM) + of_type(stacks["cluster"], ALARM)
    assert len(alarms) >= 17
    for alarm in alarms:
        assert alarm.inputs["comparisonOperator"] in comparisons, alarm.name
        queries = alarm.inputs.get("metricQueries")
        if queries:  # metric math: the metric's fields live in its query (PutMetricAlarm)
            assert not {"metricName", "statistic", "period"} & set(alarm.inputs), alarm.name
            [metric] = [q["metric"] for q in queries if "metric" in q]
            assert metric["stat"] in statistics, alarm.name
            assert [q["id"] for q in queries if q.get("returnData")] == ["e"], alarm.name
            period = metric["period"]
        else:
            assert alarm.inputs["statistic"] in statistics, alarm.name
            period = alarm.inputs["period"]
        assert period in (10, 30) or period % 60 == 0, alarm.name  # PutMetricAlarm's rule
        assert alarm.inputs["treatMissingData"] in {
            "breaching",
            "notBreaching",
            "ignore",
            "missing",
        }
        assert len(alarm.inputs["name"]) <= 255


def test_alarms_notify_an_encrypted_topic_only_this_accounts_alarms_may_use(
    env: str, net, env_plan
) -> None:
    cfg = env_plan(env).config
    topic = one(net, "aws:sns/topic:Topic")
    key = one(net, "aws:kms/key:Key", "kms-operations")
    topic_arn = f"arn:aws:sns:{cfg.region}:{cfg.account_id}:{topic.inputs['name']}"
    for alarm in of_type(net, ALARM):
        assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [topic_arn]
    # Encrypted with the operations key (the ARN the harness gives that key), not another.
    alias = one(net, "aws:kms/alias:Alias", "kms-operations")
    assert alias.inputs["name"] == f"alias/{cfg.name_prefix}-operations"
    assert topic.inputs["kmsMasterKeyId"] == operations_key_arn(net, cfg)
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    cloudwatch = statements["CloudwatchAlarmsUseKey"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": cfg.account_id}}
    policy = json.loads(one(net, "aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    publish = next(s for s in policy["Statement"] if s.get("Sid") == "CloudwatchAlarmsPublish")
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": cfg.account_id}
    assert publish["Condition"]["ArnLike"]["aws:SourceArn"].startswith(
        f"arn:aws:cloudwatch:{cfg.region}:{cfg.account_id}:alarm:"
    )
    subscribers = [
        s.inputs["endpoint"]
        for s in of_type(net, "aws:sns/topicSubscription:TopicSubscription")
        if s.inputs["protocol"] == "email"
    ]
    assert subscribers == cfg.alarms.email_subscribers and subscribers


def test_prod_pages_sooner_than_test(env_plan) -> None:
    def threshold(env: str, metric: str) -> float:
        net = env_plan(env).stacks["network"]
        [alarm] = [
            a
            for a in of_type(net, ALARM)
            if a.inputs["metricName"] == metric and "TargetGroup" not in a.inputs["dimensions"]
        ]
        return float(alarm.inputs["threshold"])

    for metric in ("HTTPCode_Target_5XX_Count", "TargetResponseTime"):
        assert threshold("prod", metric) < threshold("test", metric)


def test_storage_thresholds_use_each_services_unit(net, env_plan, env: str) -> None:
    """RDS reports FreeStorageSpace in bytes, OpenSearch in megabytes: the same GiB setting
    must become different numbers."""
    cfg = env_plan(env).config
    storage = {
        a.inputs["namespace"]: a.inputs["threshold"]
        for a in of_type(net, ALARM)
        if a.inputs["metricName"] == "FreeStorageSpace"
    }
    assert storage["AWS/RDS"] == cfg.alarms.rds_free_storage_gb * 1024**3
    assert storage["AWS/ES"] == cfg.alarms.search_free_storage_gb * 1024


# --- backups ---------------------------------------------------------------------------------


def test_the_database_and_the_tagged_volumes_are_backed_up_per_environment(
    env: str, net, env_plan
) -> None:
    import yaml
    from fleet_support import FLEET
    from iam_decisions import managed_policy

    from components.network.backups import BACKUP_TAG

    cfg = env_plan(env).config
    vault = one(net, "aws:backup/vault:Vault", "backups-vault")
    assert vault.inputs["kmsKeyArn"] == operations_key_arn(net, cfg)
    assert vault.options["protect"] is (env == "prod")
    [rule] = one(net, "aws:backup/plan:Plan").inputs["rules"]
    assert rule["lifecycle"]["deleteAfter"] == {"test": 7, "prod": 35}[env]
    assert rule["targetVaultName"] == vault.inputs["name"]
    selection = one(net, "aws:backup/selection:Selection")
    database = one(net, "aws:rds/instance:Instance")
    assert selection.inputs["resources"] == [
        f"arn:aws:rds:{cfg.region}:{cfg.account_id}:db:{database.inputs['identifier']}"
    ]
    conditions = _shapes("backup", ("ConditionType",))["ConditionType"]["enum"]
    [tag] = selection.inputs["selectionTags"]
    assert tag["type"] in conditions
    assert (tag["key"], tag["value"]) == (BACKUP_TAG, cfg.name_prefix)
    # The volumes carry that tag: the StorageClass tags them with the cluster's name, which is
    # the ConfigMap's CLUSTER_NAME, the name prefix.
    storage = yaml.safe_load(
        (FLEET / "infrastructure/configs/storage-ebs/storage-class.yaml").read_text()
    )
    assert storage["parameters"]["tagSpecification_1"] == f"{BACKUP_TAG}=${{CLUSTER_NAME}}"
    # AWS Backup's role: the service may assume it, with AWS's managed policies (which exist).
    trust = json.loads(one(net, "aws:iam/role:Role", "backups-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    attached = [
        a.inputs["policyArn"]
        for a in of_type(net, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith("backups-")
    ]
    assert len(attached) == 2
    for arn in attached:
        assert arn.startswith("arn:aws:iam::aws:policy/service-role/")
        assert json.loads(managed_policy(arn))["Statement"]


def test_prod_copies_every_recovery_point_to_another_region(env: str, net, env_plan) -> None:
    cfg = env_plan(env).config
    [rule] = one(net, "aws:backup/plan:Plan").inputs["rules"]
    if env == "test":
        assert cfg.backups.copy_region is None and not rule.get("copyActions")
        assert [v.name for v in of_type(net, "aws:backup/vault:Vault")] == ["backups-vault"]
        return
    assert cfg.backups.copy_region == "eu-west-1" != cfg.region
    [copy] = rule["copyActions"]
    assert copy["lifecycle"]["deleteAfter"] == rule["lifecycle"]["deleteAfter"]
    copy_vault = one(net, "aws:backup/vault:Vault", "backups-copy-vault")
    copy_key = one(net, "aws:kms/key:Key", "backups-copy")
    assert copy_vault.options["protect"] and copy_key.options["protect"]
    assert copy_key.inputs["enableKeyRotation"] is True
    # Both live in the copy region: through that region's provider.
    provider = one(net, "pulumi:providers:aws", "aws-eu-west-1")
    assert provider.inputs["region"] == "eu-west-1"
    for resource in (copy_vault, copy_key):
        assert resource.options["provider"].startswith(provider.urn)
    # The key leaves its use to IAM (AWS Backup's managed role policy grants it).
    statements = json.loads(copy_key.inputs["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["AccountAdministersThroughIam"]


# --- nodes -----------------------------------------------------------------------------------


def test_nodes_carry_the_cost_tags_and_repair_one_at_a_time(env: str, env_plan) -> None:
    plan = env_plan(env)
    cluster = plan.stacks["cluster"]
    template = one(cluster, "aws:ec2/launchTemplate:LaunchTemplate")
    kinds = {spec["resourceType"]: spec["tags"] for spec in template.inputs["tagSpecifications"]}
    assert set(kinds) == {"instance", "volume", "network-interface"}
    for tags in kinds.values():
        assert tags["Environment"] == env
        for key, value in plan.config.tags.items():  # CostCentre, Owner, ...
            assert tags[key] == value
    groups = of_type(cluster, "aws:eks/nodeGroup:NodeGroup")
    assert len(groups) == 3
    for group in groups:
        repair = group.inputs["nodeRepairConfig"]
        assert repair == {"enabled": True, "maxParallelNodesRepairedCount": 1}
    # The keys exist in EKS's API (CreateNodegroup's nodeRepairConfig).
    members = _shapes("eks", ("NodeRepairConfig",))["NodeRepairConfig"]["members"]
    assert {"enabled", "maxParallelNodesRepairedCount"} <= set(members)


# --- GitOps notifications -----------------------------------------------------------------------


def test_gitops_failures_reach_the_chat_from_every_platform_release(env: str) -> None:
    """Every Kustomization (whose health checks cover the services' HelmReleases) and every
    platform HelmRelease's namespace is a source of the error alert, which posts to the chat
    provider; nothing else waits on the notifications."""
    from fleet_support import cluster_kustomizations, cluster_objects

    objects = cluster_objects(env)
    alert = next(
        o for o in objects if o["kind"] == "Alert" and o["metadata"]["name"] == "gitops-failures"
    )
    provider = next(o for o in objects if o["kind"] == "Provider" and o["spec"]["type"] == "slack")
    assert alert["spec"]["providerRef"]["name"] == provider["metadata"]["name"]
    assert alert["spec"]["eventSeverity"] == "error"
    assert provider["spec"]["secretRef"]["name"] == "flux-chat-webhook"
    sources = alert["spec"]["eventSources"]
    assert {"kind": "Kustomization", "name": "*"} in sources
    watched = {s["namespace"] for s in sources if s["kind"] == "HelmRelease"}
    platform = {
        o["metadata"]["namespace"]
        for o in objects
        if o["kind"] == "HelmRelease"
        and o["metadata"]["namespace"] not in {s.k8s_namespace for s in _services(env)}
    }
    assert platform and platform <= watched
    waiting = [
        k.name
        for k in cluster_kustomizations(env)
        if any(d.get("name") == "notifications" for d in k.obj["spec"].get("dependsOn") or [])
    ]
    assert waiting == []


def _services(env: str):
    from project import PROJECT_ROOT

    from landfall.config import load_environment_file

    return load_environment_file(env, PROJECT_ROOT).services


# --- cost tags on what the cluster's controllers create ------------------------------------------


def test_volumes_and_load_balancers_the_controllers_create_carry_the_cost_tags(
    env: str, env_plan
) -> None:
    import yaml
    from fleet_support import cluster_objects

    from landfall.logic.envmap import LOAD_BALANCER_TAGS_CONFIGMAP

    plan = env_plan(env)
    wanted = {"Environment": env, **plan.config.tags}
    assert "CostCentre" in wanted
    # EBS CSI driver: the add-on's controller.extraVolumeTags (its --extra-tags).
    addon = one(plan.stacks["cluster"], "aws:eks/addon:Addon", "workload-addons-aws-ebs-csi-driver")
    volume_tags = json.loads(addon.inputs["configurationValues"])["controller"]["extraVolumeTags"]
    assert wanted.items() <= volume_tags.items()
    # Load Balancer Controller: defaultTags from a ConfigMap of Helm values the HelmRelease reads.
    values_map = one(
        plan.stacks["gitops"], "kubernetes:core/v1:ConfigMap", "environment-load-balancer-tags"
    )
    assert values_map.inputs["metadata"]["name"] == LOAD_BALANCER_TAGS_CONFIGMAP
    assert values_map.inputs["metadata"]["namespace"] == "kube-system"
    default_tags = yaml.safe_load(values_map.inputs["data"]["values.yaml"])["defaultTags"]
    assert wanted.items() <= default_tags.items()
    release = next(
        o
        for o in cluster_objects(env)
        if o["kind"] == "HelmRelease" and o["metadata"]["name"] == "aws-load-balancer-controller"
    )
    assert release["metadata"]["namespace"] == "kube-system"  # valuesFrom reads its own namespace
    assert {
        "kind": "ConfigMap",
        "name": LOAD_BALANCER_TAGS_CONFIGMAP,
        "valuesKey": "values.yaml",
    } in (release["spec"]["valuesFrom"])
    # The inline values are merged over valuesFrom: none of them may replace a cost tag.
    assert not set(release["spec"]["values"]["defaultTags"]) & set(wanted)


# --- commit statuses on the fleet repository -----------------------------------------------------


def test_every_kustomizations_outcome_becomes_a_commit_status(env: str, env_plan) -> None:
    from fleet_support import cluster_objects

    objects = cluster_objects(env)
    provider = next(o for o in objects if o["kind"] == "Provider" and o["spec"]["type"] == "github")
    alert = next(
        o
        for o in objects
        if o["kind"] == "Alert" and o["spec"]["providerRef"]["name"] == provider["metadata"]["name"]
    )
    assert alert["spec"]["eventSeverity"] == "info"  # successes too, so statuses turn green
    assert alert["spec"]["eventSources"] == [{"kind": "Kustomization", "name": "*"}]
    assert provider["spec"]["secretRef"]["name"] == "flux-github-token"
    data = one(
        env_plan(env).stacks["gitops"], "kubernetes:core/v1:ConfigMap", "environment"
    ).inputs["data"]
    # Pulumi.<env>.yaml's gitops.url is ssh://git@github.com/example/landfall-fleet.git.
    assert data["FLEET_STATUS_REPOSITORY_URL"] == "https://github.com/example/landfall-fleet"


# --- autoscaling --------------------------------------------------------------------------------

# Labels the Cluster Autoscaler ignores itself when it compares node groups on AWS (upstream
# cluster-autoscaler-1.35.0: processors/nodegroupset/aws_nodegroups.go and the basic set of
# compare_nodegroups.go, as far as the labels our nodes can carry go).
AUTOSCALER_IGNORES = {
    "alpha.eksctl.io/instance-id",
    "alpha.eksctl.io/nodegroup-name",
    "eks.amazonaws.com/nodegroup",
    "k8s.amazonaws.com/eniConfig",
    "lifecycle",
    "topology.ebs.csi.aws.com/zone",
    "topology.k8s.aws/zone-id",
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
}


def autoscaler_release(env: str) -> dict[str, Any]:
    from fleet_support import cluster_objects

    return next(
        o
        for o in cluster_objects(env)
        if o["kind"] == "HelmRelease" and o["metadata"]["name"] == "cluster-autoscaler"
    )


def test_the_autoscaler_balances_the_per_zone_node_groups(env: str, env_plan) -> None:
    """R6 under autoscaling: the per-zone groups only scale together when the autoscaler finds
    them similar, which needs every node label that differs between them ignored."""
    groups = of_type(env_plan(env).stacks["cluster"], "aws:eks/nodeGroup:NodeGroup")
    labels = [g.inputs["labels"] for g in groups]
    differing = {k for k in set().union(*labels) if len({str(g.get(k)) for g in labels}) > 1}
    assert differing  # landfall.io/node-group names the zone
    flags = autoscaler_release(env)["spec"]["values"]["extraArgs"]
    ignored = {v for k, v in flags.items() if k.split("_")[0] == "balancing-ignore-label"}
    assert flags["balance-similar-node-groups"] is True
    assert differing <= ignored | AUTOSCALER_IGNORES, differing - ignored


def test_node_group_sizes_are_left_to_the_autoscaler(env: str, env_plan) -> None:
    plan = env_plan(env)
    for group in of_type(plan.stacks["cluster"], "aws:eks/nodeGroup:NodeGroup"):
        assert group.options["ignoreChanges"] == ["scalingConfig.desiredSize"]
        scaling = group.inputs["scalingConfig"]
        nodes = plan.config.cluster.nodes
        assert (scaling["minSize"], scaling["maxSize"]) == (nodes.min_size, nodes.max_size)
        assert scaling["minSize"] < scaling["maxSize"]  # room to scale


def test_the_autoscaler_runs_the_clusters_minor_version(env: str, env_plan) -> None:
    """The autoscaler's minor version must equal the cluster's (its FAQ): the chart's default
    image (schemas/charts/cluster-autoscaler) unless the release overrides it."""
    import yaml
    from project import PROJECT_ROOT

    chart = yaml.safe_load(
        (PROJECT_ROOT / "schemas/charts/cluster-autoscaler/values.yaml").read_text()
    )
    values = autoscaler_release(env)["spec"]["values"]
    tag = (values.get("image") or {}).get("tag") or chart["image"]["tag"]
    minor = ".".join(tag.lstrip("v").split(".")[:2])
    assert minor == env_plan(env).config.cluster.kubernetes_version


def test_the_autoscaler_resizes_only_this_clusters_node_groups(env: str, env_plan) -> None:
    """The role's policy, evaluated: its documented calls are allowed on this cluster's groups
    (the tags EKS puts on a managed node group's Auto Scaling group) and refused on another's."""
    from iam_decisions import allowed

    plan = env_plan(env)
    policy = one(plan.stacks["cluster"], "aws:iam/rolePolicy:RolePolicy", "cluster-autoscaler")
    document = policy.inputs["policy"]
    cluster = plan.config.name_prefix
    region, account = plan.config.region, plan.config.account_id
    group = f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:1:autoScalingGroupName/eks-x"

    def tags(name: str) -> dict[str, str]:
        return {
            "autoscaling:ResourceTag/eks:cluster-name": name,
            "autoscaling:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
        }

    for action in (
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:DescribeImages",
        "ec2:GetInstanceTypesFromInstanceRequirements",
    ):
        assert allowed([document], action, "*"), action
    node_group = (
        f"arn:aws:eks:{plan.config.region}:{plan.config.account_id}:nodegroup/{cluster}/g/1"
    )
    assert allowed([document], "eks:DescribeNodegroup", node_group)
    assert not allowed([document], "eks:DescribeNodegroup", node_group.replace(cluster, "other"))
    for action in (
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ):
        assert allowed([document], action, group, tags(cluster)), action
        assert not allowed([document], action, group, tags("other-cluster")), action
        assert not allowed([document], action, group, {}), action
    assert not allowed([document], "autoscaling:UpdateAutoScalingGroup", group, tags(cluster))


# --- logs and Container Insights --------------------------------------------------------------


def cluster_stack(env_plan, env: str):
    return env_plan(env).stacks["cluster"]


def test_container_logs_land_in_encrypted_expiring_groups_created_first(env: str, env_plan) -> None:
    """The add-on's writers would create their groups unencrypted and kept forever: the
    cluster stack creates all four first (data key, the environment's retention), and the
    add-on waits for them."""
    plan = env_plan(env)
    cluster = plan.stacks["cluster"]
    name = plan.config.name_prefix
    groups = {
        g.inputs["name"]: g
        for g in of_type(cluster, "aws:cloudwatch/logGroup:LogGroup")
        if g.inputs["name"].startswith("/aws/containerinsights/")
    }
    assert set(groups) == {
        f"/aws/containerinsights/{name}/{kind}"
        for kind in ("application", "dataplane", "host", "performance")
    }
    data_key = plan.stacks["network"].outputs["dataKmsKeyArn"]
    for group in groups.values():
        assert group.inputs["kmsKeyId"] == data_key
        assert group.inputs["retentionInDays"] == plan.config.observability.log_retention_days
    assert plan.config.observability.log_retention_days == {"test": 30, "prod": 365}[env]
    addon = one(
        cluster, "aws:eks/addon:Addon", "observability-addons-amazon-cloudwatch-observability"
    )
    assert {g.urn for g in groups.values()} <= set(addon.options["dependsOn"])
    config = json.loads(addon.inputs["configurationValues"])
    assert config["containerLogs"] == {"enabled": True}
    kubernetes = config["agent"]["config"]["logs"]["metrics_collected"]["kubernetes"]
    assert kubernetes == {"enhanced_container_insights": True}  # the alarms' metrics
    role = one(cluster, "aws:iam/role:Role", "cloudwatch-observability")
    assert addon.inputs["serviceAccountRoleArn"].startswith("arn:aws:iam::")
    assert "amazon-cloudwatch:cloudwatch-agent" in role.inputs["assumeRolePolicy"]


def test_the_agents_role_allows_its_documented_calls_on_this_clusters_groups_only(
    env: str, env_plan
) -> None:
    """Least privilege that does not break the agent: every call of AWS's
    CloudWatchAgentServerPolicy (the add-on's documented policy) is allowed on this cluster's
    Container Insights groups, except the few it cannot need here (named in
    landfall/program/iam.py); other groups and metric namespaces are refused."""
    from iam_decisions import allowed, managed_policy

    from landfall.program.iam import CLOUDWATCH_AGENT_CALLS_NOT_NEEDED

    plan = env_plan(env)
    cfg = plan.config
    policy = one(
        plan.stacks["cluster"], "aws:iam/rolePolicy:RolePolicy", "cloudwatch-observability"
    )
    ours = [policy.inputs["policy"]]
    logs = f"arn:aws:logs:{cfg.region}:{cfg.account_id}:log-group"
    group = f"{logs}:/aws/containerinsights/{cfg.name_prefix}/application"
    stream = f"{group}:log-stream:ip-10-0-0-1.application"
    documented = json.loads(managed_policy("arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"))
    actions = [
        action
        for statement in documented["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        if not action.startswith(CLOUDWATCH_AGENT_CALLS_NOT_NEEDED)
    ]
    assert "logs:PutLogEvents" in actions and "cloudwatch:PutMetricData" in actions
    namespace = {"cloudwatch:namespace": "ContainerInsights"}
    for action in actions:
        resource = stream if action == "logs:PutLogEvents" else group
        if not action.startswith("logs:"):
            resource = "*"
        assert allowed(ours, action, resource, namespace), action
    other = group.replace(cfg.name_prefix, "someone-else")
    assert not allowed(ours, "logs:PutLogEvents", f"{other}:log-stream:x")
    assert not allowed(ours, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "AWS/EC2"})
    assert not allowed(ours, "logs:PutRetentionPolicy", group)


def test_nodes_pods_and_gitops_alarm_on_the_operations_topic(env: str, env_plan) -> None:
    plan = env_plan(env)
    cluster = plan.stacks["cluster"]
    topic = plan.stacks["network"].outputs["alarmTopicArn"]
    name = plan.config.name_prefix
    alarms = {a.name: a for a in of_type(cluster, ALARM)}
    assert set(alarms) == {
        f"{name}-nodes-failed",
        f"{name}-pod-restarts",
        f"{name}-oom-killed",
        f"{name}-gitops-failing",
    }
    for alarm in alarms.values():
        assert alarm.inputs["alarmActions"] == [topic] == alarm.inputs["okActions"]
    nodes = alarms[f"{name}-nodes-failed"].inputs
    assert (nodes["namespace"], nodes["metricName"]) == (
        "ContainerInsights",
        "cluster_failed_node_count",
    )
    assert nodes["dimensions"] == {"ClusterName": name}
    restarts = alarms[f"{name}-pod-restarts"].inputs
    # The restart count only grows: the alarm is on what it grew by in the period.
    assert [q.get("expression") for q in restarts["metricQueries"]] == [None, "DIFF(m)"]
    assert restarts["threshold"] == plan.config.alarms.pod_restarts_per_5_minutes
    assert restarts["threshold"] == {"test": 5, "prod": 3}[env]  # prod pages sooner
    oom = alarms[f"{name}-oom-killed"].inputs
    assert oom["metricName"] == "pod_container_status_terminated_reason_oom_killed"
    gitops = alarms[f"{name}-gitops-failing"].inputs
    metric_filter = one(cluster, "aws:cloudwatch/logMetricFilter:LogMetricFilter")
    transformation = metric_filter.inputs["metricTransformation"]
    assert (gitops["namespace"], gitops["metricName"]) == (
        transformation["namespace"],
        transformation["name"],
    )
    assert gitops["evaluationPeriods"] * gitops["period"] == 900  # failing for 15 minutes
    assert metric_filter.inputs["logGroupName"] == f"/aws/containerinsights/{name}/application"
    assert '$.kubernetes.namespace_name = "flux-system"' in metric_filter.inputs["pattern"]


def test_without_container_logs_only_metrics_remain() -> None:
    from project import committed_settings

    from landfall.plan.harness import plan_environment

    raw = committed_settings("test")
    raw["landfall:observability"] = {"containerLogs": False}
    cluster = plan_environment("test", raw_config=raw).stacks["cluster"]
    groups = [g.inputs["name"] for g in of_type(cluster, "aws:cloudwatch/logGroup:LogGroup")]
    assert [g for g in groups if "containerinsights" in g] == [
        "/aws/containerinsights/landfall-test/performance"
    ]
    assert of_type(cluster, "aws:cloudwatch/logMetricFilter:LogMetricFilter") == []
    assert "landfall-test-gitops-failing" not in {a.name for a in of_type(cluster, ALARM)}
    addon = one(
        cluster, "aws:eks/addon:Addon", "observability-addons-amazon-cloudwatch-observability"
    )
    assert json.loads(addon.inputs["configurationValues"])["containerLogs"] == {"enabled": False}


# --- alarms in the chat ------------------------------------------------------------------------


def test_alarms_reach_the_chat_through_a_function_that_reads_one_secret(
    env: str, net, env_plan
) -> None:
    from iam_decisions import allowed

    cfg = env_plan(env).config
    secret_id = cfg.alarms.chat_webhook_secret_id
    assert secret_id == f"landfall/{env}/alarm-chat-webhook"
    topic = net.outputs["alarmTopicArn"]
    function = one(net, "aws:lambda/function:Function", "alarm-chat")
    assert function.inputs["environment"]["variables"] == {"WEBHOOK_SECRET_ID": secret_id}
    assert "vpcConfig" not in function.inputs  # needs only Secrets Manager and the webhook
    subscription = one(
        net, "aws:sns/topicSubscription:TopicSubscription", "alarm-chat-subscription"
    )
    assert (subscription.inputs["topic"], subscription.inputs["protocol"]) == (topic, "lambda")
    permission = one(net, "aws:lambda/permission:Permission")
    assert permission.inputs["principal"] == "sns.amazonaws.com"
    assert permission.inputs["sourceArn"] == topic  # only this topic may invoke it
    policy = [one(net, "aws:iam/rolePolicy:RolePolicy", "alarm-chat-role").inputs["policy"]]
    secrets = f"arn:aws:secretsmanager:{cfg.region}:{cfg.account_id}:secret"
    assert allowed(policy, "secretsmanager:GetSecretValue", f"{secrets}:{secret_id}-AbC123")
    assert not allowed(
        policy, "secretsmanager:GetSecretValue", f"{secrets}:{env}/payments/db-x1y2z3"
    )
    trust = json.loads(one(net, "aws:iam/role:Role", "alarm-chat-role").inputs["assumeRolePolicy"])
    conditions = trust["Statement"][0]["Condition"]
    assert conditions["StringEquals"]["aws:SourceAccount"] == cfg.account_id


def test_without_a_chat_webhook_alarms_go_by_email_only() -> None:
    from project import committed_settings

    from landfall.plan.harness import plan_environment

    raw = committed_settings("test")
    del raw["landfall:alarms"]["chatWebhookSecretId"]
    net = plan_environment("test", raw_config=raw).stacks["network"]
    assert of_type(net, "landfall:network:AlarmChat") == []
    protocols = {
        s.inputs["protocol"] for s in of_type(net, "aws:sns/topicSubscription:TopicSubscription")
    }
    assert protocols == {"email"}
