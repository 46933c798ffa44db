"""GitHub Actions OIDC subjects: what GitHub writes in a job's token ``sub`` claim."""

from __future__ import annotations


def ci_subjects(repository: str, environment: str) -> tuple[list[str], list[str]]:
    """The GitHub Actions OIDC subjects of the preview role (the repository's pull requests) and
    of the deploy role (its jobs in the GitHub environment named like ``environment``). GitHub
    writes ``repo:<owner>/<repo>:pull_request`` for pull_request events and
    ``repo:<owner>/<repo>:environment:<name>`` for any job that names an environment (GitHub
    docs, "About security hardening with OpenID Connect", example subject claims)."""
    return [f"repo:{repository}:pull_request"], [f"repo:{repository}:environment:{environment}"]
