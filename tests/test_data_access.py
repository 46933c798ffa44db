"""Each service reaches its own database user, secrets and indices, and nothing of another
service's or the master's (issue 13): the data-access function's SQL and security roles, the
IAM policies of the plans evaluated with the resource policies, and the fleet's manifests."""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from iam_decisions import allowed, allowed_in_account
from moto import mock_aws
from stack_queries import of_type, one

from functions.data_access import handler
from landfall.plan.harness import EnvironmentPlan

CLOUD = ["test", "prod"]
OTHER = "ledger"  # a service that is not the one under test


# --- the function's SQL and search roles ---------------------------------------------------------


def test_database_user_is_iam_authenticated_tls_only_and_owns_only_its_database() -> None:
    statements = handler.database_statements("order-history")
    assert statements == [
        "CREATE DATABASE IF NOT EXISTS `order_history`",
        "CREATE USER IF NOT EXISTS 'order_history'@'%' IDENTIFIED WITH AWSAuthenticationPlugin "
        "AS 'RDS'",
        "ALTER USER 'order_history'@'%' REQUIRE SSL",
        "GRANT ALL PRIVILEGES ON `order_history`.* TO 'order_history'@'%'",
    ]
    grants = [s for s in statements if s.startswith("GRANT")]
    assert all(" ON `order_history`.* " in g for g in grants)  # never *.* or another database


@pytest.mark.parametrize("bad", ["", "9lives", "a" * 65, "drop;table", "Payments"])
def test_a_name_that_is_not_a_plain_identifier_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid service name"):
        handler.sql_name(bad)


def search_allows(role: dict[str, Any], index: str) -> bool:
    return any(
        fnmatch.fnmatchcase(index, pattern)
        for permission in role["index_permissions"]
        for pattern in permission["index_patterns"]
    )


def test_the_search_role_covers_the_services_indices_only() -> None:
    role = handler.search_role("payments")
    assert search_allows(role, "payments-orders-2026.12")
    assert not search_allows(role, "ledger-entries")
    assert not search_allows(role, "payments")  # the prefix alone is not an index of its own
    assert not search_allows(role, ".opendistro_security")
    assert role["cluster_permissions"] == ["cluster_composite_ops"]


class FakeDomain:
    """The security plugin's REST API as far as the function uses it."""

    def __init__(self, roles: dict[str, Any] | None = None, fail: str | None = None) -> None:
        self.roles: dict[str, Any] = dict(roles or {})
        self.mappings: dict[str, Any] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail = fail

    def send(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        self.calls.append((method, path))
        if self.fail and self.fail in path:
            return 403, "no permissions"
        kind, _, name = path.removeprefix(f"{handler.SECURITY_API}/").partition("/")
        store = self.roles if kind == "roles" else self.mappings
        if method == "GET":
            return 200, {n: {} for n in store}
        if method == "PUT":
            store[name] = body
            return 200, {"status": "OK"}
        if method == "DELETE":
            return (200, {}) if store.pop(name, None) is not None else (404, {})
        return 405, method


def test_roles_are_put_mapped_and_stale_landfall_roles_removed_only() -> None:
    domain = FakeDomain(
        roles={"landfall-service-retired": {}, "all_access": {}, "ops-team": {}},
    )
    services = [
        handler.ServiceAccess("payments", "arn:aws:iam::1:role/p", database=True, search=True),
        handler.ServiceAccess("ledger", "arn:aws:iam::1:role/l", database=True, search=False),
    ]
    kept = handler.reconcile_search_roles(domain.send, services)
    assert kept == ["landfall-service-payments"]
    assert domain.mappings["landfall-service-payments"] == {
        "backend_roles": ["arn:aws:iam::1:role/p"]
    }
    assert "landfall-service-ledger" not in domain.roles  # no search: no role
    assert "landfall-service-retired" not in domain.roles
    assert {"all_access", "ops-team"} <= set(domain.roles)  # never touches roles it did not make
    # Running again changes nothing.
    before = (dict(domain.roles), dict(domain.mappings))
    handler.reconcile_search_roles(domain.send, services)
    assert (domain.roles, domain.mappings) == before


def test_a_refused_security_call_fails_the_invocation() -> None:
    services = [handler.ServiceAccess("payments", "arn:aws:iam::1:role/p", True, True)]
    with pytest.raises(RuntimeError, match="HTTP 403"):
        handler.reconcile_search_roles(FakeDomain(fail="rolesmapping").send, services)


class RecordingCursor:
    def __init__(self) -> None:
        self.executed: list[str] = []

    def execute(self, query: str) -> None:
        self.executed.append(query)

    def __enter__(self) -> RecordingCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class RecordingConnection:
    def __init__(self) -> None:
        self.cursor_ = RecordingCursor()
        self.closed = False

    def cursor(self) -> RecordingCursor:
        return self.cursor_

    def close(self) -> None:
        self.closed = True


# --- the plans: payload, policies, resource policies --------------------------------------------


@pytest.fixture(params=CLOUD)
def env(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def plans(env: str, env_plan: Any) -> EnvironmentPlan:
    return env_plan(env)


def invocation_event(plans: EnvironmentPlan) -> dict[str, Any]:
    invocation = one(plans.stacks["cluster"], "aws:lambda/invocation:Invocation", "data-access")
    assert (
        invocation.inputs["functionName"]
        == plans.stacks["network"].outputs["dataAccessFunctionName"]
    )
    return json.loads(invocation.inputs["input"])


def test_the_cluster_stack_hands_the_function_every_service_with_its_own_role(plans) -> None:
    event = invocation_event(plans)
    net, cluster = plans.stacks["network"].outputs, plans.stacks["cluster"].outputs
    assert event["database"] == {
        "host": net["databaseAddress"],
        "port": net["databasePort"],
        "secretArn": net["databaseSecretArn"],
    }
    assert event["search"]["endpoint"] == net["searchEndpoint"]
    assert event["search"]["masterRoleArn"] == net["searchMasterRoleArn"]
    services = {s.name: s for s in handler.parse_services(event)}
    assert set(services) == {s.name for s in plans.config.services}
    for service in plans.config.services:
        assert services[service.name].role_arn == cluster["serviceRoleArns"][service.name]
        assert services[service.name].database == service.database
        assert services[service.name].search == service.search


@mock_aws
def test_the_function_run_on_the_plans_payload_maps_each_role_to_its_own_indices(plans):
    """The handler, run end to end on the cluster stack's payload with AWS mocked: it reads the
    master secret, creates the users over one connection and maps each service's role."""
    event = invocation_event(plans)
    region = plans.config.region
    secrets = boto3.client("secretsmanager", region_name=region)
    secret = secrets.create_secret(
        Name="rds!db-test", SecretString=json.dumps({"username": "landfall_admin", "password": "x"})
    )
    event["database"]["secretArn"] = secret["ARN"]
    connection = RecordingConnection()
    domain = FakeDomain()
    seen: dict[str, Any] = {}

    def connect(evt: Any, credentials: Any) -> RecordingConnection:
        seen["user"] = credentials["username"]
        return connection

    result = handler.handle(
        event,
        lambda name: boto3.client(name, region_name=region),
        connect=connect,
        sender=lambda endpoint, region_, creds: domain.send,
    )
    assert seen["user"] == "landfall_admin" and connection.closed
    cluster = plans.stacks["cluster"].outputs
    for service in plans.config.services:
        name = handler.sql_name(service.name)
        assert (name in result["databases"]) == service.database
        role = handler.search_role_name(service.name)
        assert (role in domain.mappings) == service.search
        if service.search:
            assert domain.mappings[role]["backend_roles"] == [
                cluster["serviceRoleArns"][service.name]
            ]
    assert all(
        "AWSAuthenticationPlugin" in q for q in connection.cursor_.executed if "USER IF" in q
    )


def documents_of(plans: EnvironmentPlan, stack: str, role_name: str) -> list[str]:
    """Every inline policy document of the role ``role_name`` (logical name) in ``stack``."""
    return [
        p.inputs["policy"]
        for p in of_type(plans.stacks[stack], "aws:iam/rolePolicy:RolePolicy")
        if p.name == role_name
    ]


def access_matrix(plans: EnvironmentPlan, service: str, documents: list[str]) -> list[str]:
    """What ``service``'s role must and must not reach, as problems (empty: as it should be).
    ``documents``: its identity policies."""
    cfg = plans.config
    net = plans.stacks["network"].outputs
    cluster = plans.stacks["cluster"].outputs
    role_arn = cluster["serviceRoleArns"][service]
    domain = one(plans.stacks["network"], "aws:opensearch/domain:Domain")
    domain_policy = domain.inputs["accessPolicies"]
    domain_arn = net["searchDomainArn"]
    dbuser = f"arn:aws:rds-db:{cfg.region}:{cfg.account_id}:dbuser:{net['databaseResourceId']}"
    secrets = f"arn:aws:secretsmanager:{cfg.region}:{cfg.account_id}:secret:{cfg.environment}"
    own = handler.sql_name(service)
    index = handler.index_pattern(service).replace("*", "2026.12")
    must = [
        ("rds-db:connect", f"{dbuser}/{own}", None),
        ("secretsmanager:GetSecretValue", f"{secrets}/{service}/api-key-AbCdEf", None),
        ("es:ESHttpPut", f"{domain_arn}/{index}/_doc/1", domain_policy),
        ("es:ESHttpGet", f"{domain_arn}/{index}/_search", domain_policy),
        ("es:ESHttpPost", f"{domain_arn}/_bulk", domain_policy),
    ]
    must_not = [
        ("secretsmanager:GetSecretValue", net["databaseSecretArn"], None),
        ("rds-db:connect", f"{dbuser}/{handler.sql_name(OTHER)}", None),
        ("rds-db:connect", f"{dbuser}/landfall_admin", None),
        ("secretsmanager:GetSecretValue", f"{secrets}/{OTHER}/api-key-AbCdEf", None),
        ("es:ESHttpGet", f"{domain_arn}/{OTHER}-2026.12/_search", domain_policy),
        ("es:ESHttpPut", f"{domain_arn}/_plugins/_security/api/rolesmapping/x", domain_policy),
        ("sts:AssumeRole", net["searchMasterRoleArn"], None),
    ]
    problems = []
    for action, resource, policy in must:
        if not allowed_in_account(documents, policy, role_arn, action, resource):
            problems.append(f"denied: {action} {resource}")
    for action, resource, policy in must_not:
        if allowed_in_account(documents, policy, role_arn, action, resource):
            problems.append(f"allowed: {action} {resource}")
    # Inside the domain, the security plugin's role decides: its own pattern only.
    role = handler.search_role(service)
    if not search_allows(role, index) or search_allows(role, f"{OTHER}-2026.12"):
        problems.append("search role does not match the service's own indices only")
    return problems


def test_each_service_reaches_its_own_data_and_nothing_else(plans) -> None:
    for service in plans.config.services:
        documents = documents_of(plans, "cluster", f"service-{service.name}")
        assert documents
        assert access_matrix(plans, service.name, documents) == []


@pytest.mark.parametrize("grant", ["ConnectAsOwnDatabaseUser", "OwnIndices", "ReadOwnSecrets"])
def test_the_matrix_fails_when_a_grant_is_removed(plans, grant: str) -> None:
    [document] = documents_of(plans, "cluster", "service-payments")
    policy = json.loads(document)
    policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != grant]
    problems = access_matrix(plans, "payments", [json.dumps(policy)])
    assert problems and all(p.startswith("denied: ") for p in problems), problems


def test_the_matrix_fails_when_a_grant_is_widened(plans) -> None:
    [document] = documents_of(plans, "cluster", "service-payments")
    policy = json.loads(document)
    for statement in policy["Statement"]:
        if statement.get("Sid") == "ConnectAsOwnDatabaseUser":
            statement["Resource"] = statement["Resource"].rsplit("/", 1)[0] + "/*"
    assert access_matrix(plans, "payments", [json.dumps(policy)]) == [
        f"allowed: rds-db:connect {r}"
        for r in (
            f"arn:aws:rds-db:{plans.config.region}:{plans.config.account_id}:dbuser:"
            f"{plans.stacks['network'].outputs['databaseResourceId']}/{u}"
            for u in (OTHER, "landfall_admin")
        )
    ]


def test_only_the_data_access_function_reads_the_master_secret(plans) -> None:
    net = plans.stacks["network"].outputs
    master = net["databaseSecretArn"]
    readers = [
        p.name
        for stack in plans.stacks.values()
        for p in of_type(stack, "aws:iam/rolePolicy:RolePolicy")
        if allowed([p.inputs["policy"]], "secretsmanager:GetSecretValue", master)
    ]
    assert readers == ["data-access-secret"]
    # ...and it may assume the search master role, which the services may not.
    provisioner = documents_of(plans, "network", "search-provisioner")
    assert allowed(provisioner, "sts:AssumeRole", net["searchMasterRoleArn"])


def test_the_master_role_may_call_its_domain(plans) -> None:
    """The domain policy delegates to IAM, so without an identity grant the master user (and
    the function acting as it) would get 403 before fine-grained access control."""
    net = plans.stacks["network"].outputs
    documents = documents_of(plans, "network", "search-master")
    domain = one(plans.stacks["network"], "aws:opensearch/domain:Domain")
    for action, path in (
        ("es:ESHttpPut", "_plugins/_security/api/roles/x"),
        ("es:ESHttpGet", "_cat/indices"),
    ):
        assert allowed_in_account(
            documents,
            domain.inputs["accessPolicies"],
            net["searchMasterRoleArn"],
            action,
            f"{net['searchDomainArn']}/{path}",
        )


def test_the_function_runs_in_the_vpc_with_the_data_access_group(plans) -> None:
    function = one(plans.stacks["network"], "aws:lambda/function:Function", "data-access")
    vpc_config = function.inputs["vpcConfig"]
    net = plans.stacks["network"].outputs
    assert vpc_config["subnetIds"] == net["privateSubnetIds"]
    assert net["dataAccessSecurityGroupId"] in vpc_config["securityGroupIds"]
    archive = function.inputs["code"]["assetArchive"]
    assert set(archive) == {"handler.py", "pymysql"}
    assert function.inputs["handler"] == "handler.lambda_handler"


# --- the signed requests -------------------------------------------------------------------------


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            seen.append(
                {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
            )
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"status":"OK"}')

        def log_message(self, *args: object) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()


def test_requests_are_signed_for_opensearch_with_the_session_token(recording_server) -> None:
    from botocore.credentials import Credentials

    url, seen = recording_server
    send = handler.signed_sender(url, "eu-west-2", Credentials("AKIAEXAMPLE", "secret", "token"))
    status, _ = send("PUT", "_plugins/_security/api/roles/x", {"a": 1})
    assert status == 200
    [request] = seen
    authorization = request["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/")
    assert "/eu-west-2/es/aws4_request" in authorization
    assert request["headers"]["X-Amz-Security-Token"] == "token"
    assert json.loads(request["body"]) == {"a": 1}


# --- the fleet ------------------------------------------------------------------------------------


def test_no_manifest_references_the_master_secret() -> None:
    from fleet_support import FLEET

    for path in FLEET.rglob("*.yaml"):
        text = path.read_text()
        for marker in ("RDS_SECRET_ARN", "rds!", "DB_SECRET_ARN", "landfall_admin"):
            assert marker not in text, (path, marker)


@pytest.mark.parametrize("namespace", ["platform-data"])
def test_local_users_are_granted_only_their_own_database(namespace: str) -> None:
    """The local access matrix: the database-users Job's SQL, rendered for every service of the
    local ConfigMap as its shell loop does, grants each user its own database and nothing
    else, and never as the administrator."""
    import re as regex

    from fleet_support import cluster_objects, find, placeholder_environment

    job = find(cluster_objects("local"), "Job", "database-users", namespace)
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    sql = script.split("<<SQL\n", 1)[1].split("\nSQL\n", 1)[0]
    services = placeholder_environment("local")["DATABASE_SERVICES"].split()
    assert services == ["payments"]
    for service in [*services, "order-history"]:
        name = handler.sql_name(service)  # the shell's `tr - _`, the function's rule
        rendered = sql.replace("\\`", "`").replace("$name", name).replace("$password", "pw")
        grants = regex.findall(r"GRANT (.+?) ON (\S+) TO '([^']+)'", rendered)
        assert grants == [("ALL PRIVILEGES", f"`{name}`.*", name)], rendered
        assert "root" not in rendered and "*.*" not in rendered
