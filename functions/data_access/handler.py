"""AWS Lambda function: each service's own database, database user and search indices.

Runs in the environment's VPC (the network stack creates it, the cluster stack invokes it with
every service's IAM role whenever the services change). It is the only identity that reads the
RDS master secret and the only workload that may assume the OpenSearch master role; services
never see either (R19). Every step is idempotent, so invoking it again changes nothing.

For each service with ``database``:
  CREATE DATABASE IF NOT EXISTS `<svc>`; a user `<svc>` authenticated by IAM
  (``AWSAuthenticationPlugin``, RDS User Guide "Creating a database account using IAM
  authentication"), TLS required, with every privilege on its own database only. The service
  connects with a token from its role (``rds-db:connect`` on ``dbuser:<resource-id>/<svc>``).
For each service with ``search``:
  an OpenSearch security-plugin role ``landfall-service-<svc>`` on the index pattern ``<svc>-*``,
  mapped to the service's IAM role as a backend role (OpenSearch Service, "Fine-grained access
  control", mapping roles to IAM ARNs). Roles of services no longer listed are removed.

Databases and users of removed services are kept: dropping them would delete data (docs/data.md).

This file is shipped alone with PyMySQL: it imports nothing from the project.
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# AWS's documented bundle of every RDS certificate authority (RDS User Guide, "Using SSL/TLS to
# encrypt a connection to a DB instance"); fetched over verified HTTPS at each run.
RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
SEARCH_ROLE_PREFIX = "landfall-service-"
SECURITY_API = "_plugins/_security/api"
# Index-level action groups of the security plugin (OpenSearch docs, "Default action groups"):
# read and write documents, create its indices and manage their aliases.
INDEX_ACTIONS = ("crud", "create_index", "manage_aliases")
# Cluster-level: the multi-document calls (_bulk, _mget, _msearch) a client needs; the plugin
# still checks each document's index against the index permissions.
CLUSTER_ACTIONS = ("cluster_composite_ops",)
_SQL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def sql_name(service: str) -> str:
    """The service's database and user name: its name with ``-`` as ``_`` (an unquoted MariaDB
    identifier; a Kubernetes name is at most 63 characters, MariaDB's database names 64)."""
    name = service.replace("-", "_")
    if not _SQL_NAME.match(name):
        raise ValueError(f"{service!r} is not a valid service name for a database")
    return name


def index_pattern(service: str) -> str:
    return f"{service}-*"


def search_role_name(service: str) -> str:
    return f"{SEARCH_ROLE_PREFIX}{service}"


def database_statements(service: str) -> list[str]:
    """The idempotent SQL giving ``service`` its database and IAM-authenticated user."""
    name = sql_name(service)
    return [
        f"CREATE DATABASE IF NOT EXISTS `{name}`",
        f"CREATE USER IF NOT EXISTS '{name}'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
        f"ALTER USER '{name}'@'%' REQUIRE SSL",
        f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{name}'@'%'",
    ]


def search_role(service: str) -> dict[str, Any]:
    """The security-plugin role: the service's own index pattern, nothing else."""
    return {
        "description": f"landfall: {service} reads and writes its own indices",
        "cluster_permissions": list(CLUSTER_ACTIONS),
        "index_permissions": [
            {"index_patterns": [index_pattern(service)], "allowed_actions": list(INDEX_ACTIONS)}
        ],
    }


def search_role_mapping(role_arn: str) -> dict[str, Any]:
    return {"backend_roles": [role_arn]}


@dataclass(frozen=True)
class ServiceAccess:
    name: str
    role_arn: str
    database: bool
    search: bool


def make_event(
    services: Iterable[ServiceAccess],
    database: Mapping[str, Any] | None,
    search: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The invocation payload (the cluster stack builds it; ``handle`` reads it).
    ``database``: host, port, secretArn. ``search``: endpoint, region, masterRoleArn."""
    return {
        "services": [
            {"name": s.name, "roleArn": s.role_arn, "database": s.database, "search": s.search}
            for s in services
        ],
        "database": dict(database) if database else None,
        "search": dict(search) if search else None,
    }


def parse_services(event: Mapping[str, Any]) -> list[ServiceAccess]:
    return [
        ServiceAccess(s["name"], s["roleArn"], bool(s.get("database")), bool(s.get("search")))
        for s in event["services"]
    ]


# --- MariaDB ------------------------------------------------------------------------------------


class Cursor(Protocol):
    def execute(self, query: str) -> Any: ...


def provision_databases(cursor: Cursor, services: Iterable[ServiceAccess]) -> list[str]:
    done = []
    for service in services:
        if service.database:
            for statement in database_statements(service.name):
                cursor.execute(statement)
            done.append(sql_name(service.name))
    return done


def _connect_database(event: Mapping[str, Any], secret: Mapping[str, str]) -> Any:
    import pymysql  # shipped in the function's archive

    with urllib.request.urlopen(RDS_CA_BUNDLE_URL, timeout=20) as response:
        bundle = response.read().decode()
    context = ssl.create_default_context(cadata=bundle)
    return pymysql.connect(
        host=event["database"]["host"],
        port=int(event["database"]["port"]),
        user=secret["username"],
        password=secret["password"],
        ssl=context,
        autocommit=True,
        connect_timeout=20,
    )


# --- OpenSearch ---------------------------------------------------------------------------------

Send = Callable[[str, str, dict[str, Any] | None], tuple[int, Any]]


def reconcile_search_roles(send: Send, services: Iterable[ServiceAccess]) -> list[str]:
    """PUT each searching service's role and mapping; DELETE landfall roles of services gone."""
    wanted = {s.name: s for s in services if s.search}
    for name, service in sorted(wanted.items()):
        role = search_role_name(name)
        for path, body in (
            (f"{SECURITY_API}/roles/{role}", search_role(name)),
            (f"{SECURITY_API}/rolesmapping/{role}", search_role_mapping(service.role_arn)),
        ):
            status, answer = send("PUT", path, body)
            if status not in (200, 201):
                raise RuntimeError(f"PUT {path}: HTTP {status} {answer}")
    status, existing = send("GET", f"{SECURITY_API}/roles", None)
    if status != 200:
        raise RuntimeError(f"GET {SECURITY_API}/roles: HTTP {status} {existing}")
    keep = {search_role_name(name) for name in wanted}
    for role in sorted(existing):
        if role.startswith(SEARCH_ROLE_PREFIX) and role not in keep:
            for kind in ("rolesmapping", "roles"):
                status, answer = send("DELETE", f"{SECURITY_API}/{kind}/{role}", None)
                if status not in (200, 404):
                    raise RuntimeError(f"DELETE {kind}/{role}: HTTP {status} {answer}")
    return sorted(keep)


def signed_sender(endpoint: str, region: str, credentials: Any) -> Send:
    """Requests to the domain signed with SigV4 (service ``es``) as the master role."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    def send(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        url = f"{endpoint.rstrip('/')}/{path}"
        data = json.dumps(body).encode() if body is not None else None
        request = AWSRequest(
            method=method, url=url, data=data, headers={"Content-Type": "application/json"}
        )
        SigV4Auth(credentials, "es", region).add_auth(request)
        prepared = urllib.request.Request(
            url, data=data, headers=dict(request.headers.items()), method=method
        )
        try:
            with urllib.request.urlopen(prepared, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")[:500]

    return send


def _master_credentials(sts: Any, master_role_arn: str) -> Any:
    from botocore.credentials import Credentials

    answer = sts.assume_role(RoleArn=master_role_arn, RoleSessionName="landfall-data-access")
    c = answer["Credentials"]
    return Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


# --- entry point --------------------------------------------------------------------------------


def handle(
    event: Mapping[str, Any],
    clients: Callable[[str], Any],
    connect: Callable[[Mapping[str, Any], Mapping[str, str]], Any] = _connect_database,
    sender: Callable[[str, str, Any], Send] = signed_sender,
) -> dict[str, Any]:
    """Provision every service of ``event``; ``clients(name)`` gives a boto3 client."""
    services = parse_services(event)
    result: dict[str, Any] = {"databases": [], "searchRoles": []}
    if any(s.database for s in services):
        value = clients("secretsmanager").get_secret_value(SecretId=event["database"]["secretArn"])
        connection = connect(event, json.loads(value["SecretString"]))
        try:
            with connection.cursor() as cursor:
                result["databases"] = provision_databases(cursor, services)
        finally:
            connection.close()
    search = event.get("search")
    if search:
        credentials = _master_credentials(clients("sts"), search["masterRoleArn"])
        send = sender(f"https://{search['endpoint']}", search["region"], credentials)
        result["searchRoles"] = reconcile_search_roles(send, services)
    return result


def lambda_handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    import boto3

    def client(name: str) -> Any:
        return boto3.client(name)  # type: ignore[call-overload]

    return handle(event, client)
