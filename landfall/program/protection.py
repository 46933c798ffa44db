"""Resource options for stateful resources: protected and retained in prod (quality bar)."""

from __future__ import annotations

import pulumi


def stateful(parent: pulumi.Resource, production: bool, **extra: object) -> pulumi.ResourceOptions:
    """Options for a stateful child of ``parent``.

    In prod ``protect`` makes ``pulumi destroy`` and replacements fail until the flag is lifted
    deliberately, and ``retain_on_delete`` keeps the cloud resource if it is ever removed from
    state; in test both are off so ephemeral environments can be torn down.
    """
    return pulumi.ResourceOptions(
        parent=parent,
        protect=production,
        retain_on_delete=production,
        **extra,  # type: ignore[arg-type]
    )
