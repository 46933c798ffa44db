"""The environment's ECR mirror of the public registries the fleet's images come from (issue 15).

ECR pull-through cache rules (one per upstream registry, each under its own repository prefix)
fetch an image the first time a node pulls it and serve it from the account afterwards, so the
cluster does not depend on Docker Hub, Quay or registry.k8s.io being up or rate-limiting, and
every image is pulled inside the account (scanned, logged, through the ECR interface endpoint).
The prefixes and upstream URLs are those of botocore's ECR model (``UpstreamRegistry``,
``CreatePullThroughCacheRule.upstreamRegistryUrl``); these three need no credentials.
"""

from __future__ import annotations

# ECR repository prefix -> upstream registry URL.
PULL_THROUGH: dict[str, str] = {
    "ecr-public": "public.ecr.aws",
    "k8s": "registry.k8s.io",
    "quay": "quay.io",
}


def mirrored(image: str, registry: str) -> str:
    """``image`` (``host/path[:tag][@digest]``) as the environment's mirror serves it:
    ``<registry>/<prefix>/path...``; images from other hosts are returned unchanged."""
    host, _, path = image.partition("/")
    for prefix, upstream in PULL_THROUGH.items():
        if host == upstream:
            return f"{registry}/{prefix}/{path}"
    return image
