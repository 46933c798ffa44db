"""Reading GitHub repository URLs (the fleet's URL decides the CI notifier's OIDC subject)."""

from __future__ import annotations

import re

_GITHUB_URL = re.compile(
    r"^(?:ssh://git@|https://)github\.com[/:](?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?$"
)


def github_repository(url: str | None) -> str | None:
    """``<owner>/<repo>`` of a github.com Git URL (ssh:// or https://, with or without .git)."""
    found = _GITHUB_URL.match(url or "")
    return found["repo"] if found else None


def ci_subjects(repository: str, environment: str) -> tuple[list[str], list[str]]:
    """The GitHub Actions OIDC subjects of the preview role (the repository's pull requests) and
    of the deploy role (its jobs in the GitHub environment named like ``environment``). GitHub
    writes ``repo:<owner>/<repo>:pull_request`` for pull_request events and
    ``repo:<owner>/<repo>:environment:<name>`` for any job that names an environment (GitHub
    docs, "About security hardening with OpenID Connect", example subject claims)."""
    return [f"repo:{repository}:pull_request"], [f"repo:{repository}:environment:{environment}"]
