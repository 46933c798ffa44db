"""The EKS creator-admin transform (a Pulumi resource transform, so it lives with the program)."""

from __future__ import annotations

from typing import Any

import pulumi


def creator_admin_transform(
    args: pulumi.ResourceTransformArgs,
) -> pulumi.ResourceTransformResult | None:
    """Turn off EKS's bootstrap cluster-admin grant to whoever creates the cluster.

    pulumi-eks hard-codes ``accessConfig.bootstrapClusterCreatorAdminPermissions: true`` on the
    ``aws:eks/cluster:Cluster`` it creates (with ``ignoreChanges`` on it). That grant is an access
    entry EKS makes outside Pulumi's state: permanent, invisible in previews, and stuck to whoever
    ran the first ``pulumi up``. This transform rewrites it to ``false`` on the child resource.
    """
    if args.type_ != "aws:eks/cluster:Cluster":
        return None
    access: dict[str, Any] = dict(args.props.get("accessConfig") or {})  # type: ignore[arg-type]
    access["bootstrapClusterCreatorAdminPermissions"] = False
    props = {**args.props, "accessConfig": access}
    return pulumi.ResourceTransformResult(props=props, opts=args.opts)
