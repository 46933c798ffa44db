"""ECR repositories for container images and Helm charts (OCI), R3."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.base import Component
from landfall.program.protection import stateful


@dataclass(frozen=True)
class RegistryArgs:
    image_repositories: list[str]
    chart_repositories: list[str]
    keep_last_images: int
    untagged_expiry_days: int
    kms_key_arn: pulumi.Input[str]
    production: bool


class Registry(Component):
    """One repository per image and per chart: tags immutable (a deployed version can never
    change under the cluster, R4), scanned on push, KMS-encrypted, with a lifecycle policy that
    expires untagged layers and keeps the newest images. Prod repositories are retained."""

    image_urls: dict[str, pulumi.Output[str]]
    chart_urls: dict[str, pulumi.Output[str]]
    registry: pulumi.Output[str]

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landfall:network:Registry", name, None, opts)
        lifecycle = aws.ecr.get_lifecycle_policy_document_output(
            rules=[
                aws.ecr.GetLifecyclePolicyDocumentRuleArgs(
                    priority=1,
                    description=f"Expire untagged images after {args.untagged_expiry_days} days",
                    selection=aws.ecr.GetLifecyclePolicyDocumentRuleSelectionArgs(
                        tag_status="untagged",
                        count_type="sinceImagePushed",
                        count_unit="days",
                        count_number=args.untagged_expiry_days,
                    ),
                ),
                aws.ecr.GetLifecyclePolicyDocumentRuleArgs(
                    priority=2,
                    description=f"Keep the newest {args.keep_last_images} images",
                    selection=aws.ecr.GetLifecyclePolicyDocumentRuleSelectionArgs(
                        tag_status="any",
                        count_type="imageCountMoreThan",
                        count_number=args.keep_last_images,
                    ),
                ),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).json
        self.image_urls = {r: self._repository(r, lifecycle, args) for r in args.image_repositories}
        self.chart_urls = {r: self._repository(r, lifecycle, args) for r in args.chart_repositories}
        first = next(iter(self.image_urls.values()))
        self.registry = first.apply(lambda url: url.split("/", 1)[0])
        self.finish()

    def _repository(
        self, repo: str, lifecycle: pulumi.Output[str], args: RegistryArgs
    ) -> pulumi.Output[str]:
        resource_name = f"ecr-{repo.replace('/', '-')}"
        repository = aws.ecr.Repository(
            resource_name,
            name=repo,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=args.kms_key_arn
                )
            ],
            force_delete=not args.production,
            opts=stateful(self, args.production),
        )
        aws.ecr.LifecyclePolicy(
            resource_name,
            repository=repository.name,
            policy=lifecycle,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return repository.repository_url
