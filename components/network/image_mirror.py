"""The ECR pull-through cache that mirrors the fleet's public images into the account."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from landfall.logic.mirror import PULL_THROUGH

# Mirrored repositories keep at most this many images each (the pinned versions in use and a
# few before them); a removed one is fetched again from upstream on the next pull.
KEEP_MIRRORED_IMAGES = 20


@dataclass(frozen=True)
class ImageMirrorArgs:
    name_prefix: str


class ImageMirror(Component):
    """One pull-through cache rule per public upstream registry (``landfall/logic/mirror.py``)
    and a repository creation template for each prefix, so the repositories ECR creates on the
    first pull get a lifecycle rule. Mirrored images are public
    software: their repositories use ECR's default encryption (AES-256) rather than a KMS key,
    which a creation template could only apply through a role of its own (docs/security.md)."""

    prefixes: list[str]

    def __init__(
        self, name: str, args: ImageMirrorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:ImageMirror", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        lifecycle = json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": f"Keep the newest {KEEP_MIRRORED_IMAGES} images",
                        "selection": {
                            "tagStatus": "any",
                            "countType": "imageCountMoreThan",
                            "countNumber": KEEP_MIRRORED_IMAGES,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
        )
        for prefix, upstream in PULL_THROUGH.items():
            aws.ecr.PullThroughCacheRule(
                f"{name}-{prefix}",
                ecr_repository_prefix=prefix,
                upstream_registry_url=upstream,
                opts=child,
            )
            aws.ecr.RepositoryCreationTemplate(
                f"{name}-{prefix}",
                prefix=prefix,
                description=f"{args.name_prefix}: images mirrored from {upstream}",
                applied_fors=["PULL_THROUGH_CACHE"],
                image_tag_mutability="MUTABLE",
                encryption_configurations=[
                    aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                        encryption_type="AES256"
                    )
                ],
                lifecycle_policy=lifecycle,
                opts=child,
            )
        self.prefixes = list(PULL_THROUGH)
        self.finish()
