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
