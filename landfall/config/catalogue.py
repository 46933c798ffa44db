"""The service catalogue's model: ``services.yaml`` beside the settings files, the one place a
service is declared (read by ``load.load_catalogue``). Each environment's ``landfall:services``
is projected from it (the settings files never list services); the network and cluster
programs, the environment ConfigMap and the fleet checks (``landfall service check``) all read
that projection."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from landfall.config.model import NAMESPACE, ServiceSizing, ServiceTraits, Strict

CATALOGUE_FILE = "services.yaml"
SERVICES_KEY = f"{NAMESPACE}:services"
EnvironmentName = Literal["local", "test", "prod"]


class CatalogueEntry(ServiceTraits):
    """One service: everything the platform derives for it (repositories, role, secrets
    prefix, database user, index pattern, target group, host rule, DNS names) follows from
    these fields."""

    # Required here, optional in the settings (tests and older files name no team).
    team: str = Field(  # type: ignore[assignment]
        pattern=r"^[a-z][a-z0-9-]{0,62}$",
        description="The owning team (lower-case, digits, `-`): the `Team` tag of the "
        "service's target group.",
    )
    environments: dict[EnvironmentName, ServiceSizing] = Field(
        description="The environments the service runs in, each with its sizing (`{}` for the "
        "chart's defaults), e.g. `{local: {}, test: {replicas: 2}, prod: {replicas: 3, "
        "memory: 512Mi}}`.",
        min_length=1,
    )

    def in_environment(self, env: str) -> dict[str, Any] | None:
        """This service's ``landfall:services`` entry for ``env`` (camelCase), or None."""
        overrides = self.environments.get(env)  # type: ignore[call-overload]
        if overrides is None:
            return None
        fields = self.model_dump(by_alias=True, exclude={"environments"}, exclude_none=True)
        return {**fields, **overrides.model_dump(by_alias=True, exclude_none=True)}


class Catalogue(Strict):
    """``services.yaml``: every service of the platform, each once."""

    services: list[CatalogueEntry] = Field(
        default_factory=list, description="The services, each listed once."
    )

    def for_environment(self, env: str) -> list[dict[str, Any]]:
        return [e for e in (s.in_environment(env) for s in self.services) if e is not None]


def catalogue_path(root: Path) -> Path:
    return root / CATALOGUE_FILE
