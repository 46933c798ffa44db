"""The account's connection to GitHub (AWS CodeConnections), used by the CI runners."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component


@dataclass(frozen=True)
class GithubConnectionArgs:
    name: str  # at most 32 characters (CodeConnections)
    production: bool


class GithubConnection(Component):
    """CodeBuild's runners fetch workflow jobs through this connection. It is created PENDING:
    someone with admin rights on the GitHub organisation authorises it once (console: Developer
    Tools > Settings > Connections > Update pending connection, which installs the AWS Connector
    GitHub App); `landfall doctor` reports its status. Protected in prod: re-creating it means
    authorising again."""

    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: GithubConnectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:bootstrap:GithubConnection", name, None, opts)
        connection = aws.codeconnections.Connection(
            name,
            name=args.name,
            provider_type="GitHub",
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.production, retain_on_delete=args.production
            ),
        )
        self.arn = connection.arn
        self.finish()
