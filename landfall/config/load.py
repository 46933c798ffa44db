"""Reading the settings: ``Pulumi.<env>.yaml`` (or the Pulumi runtime's config) into an
``EnvironmentConfig``, or one ``ConfigError`` listing every problem with key, what and fix.
Nothing else in the project reads raw config.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from landfall.config.errors import ConfigError, Problem
from landfall.config.model import ENVIRONMENTS, LAYERS, NAMESPACE, EnvironmentConfig
from landfall.config.project import find_project
from landfall.config.rules import missing_sections, semantic_problems


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        key = _render_loc(loc)
        kind = err["type"]
        if kind == "missing":
            problems.append(Problem(key, "is required but missing", "add it"))
        elif kind == "extra_forbidden":
            problems.append(Problem(key, "is not a known setting", _suggest(loc)))
        elif kind == "value_error":
            message = str(err["msg"]).removeprefix("Value error, ")
            problem, _, fix = message.partition("; ")
            problems.append(Problem(key, problem, fix or "correct the value"))
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            problems.append(
                Problem(key, f"{err.get('input')!r} is not allowed", f"use one of {expected}")
            )
        else:
            problems.append(
                Problem(key, f"{err['msg'].lower()} (got {err.get('input')!r})", "correct it")
            )
    return problems


def _clipped(problems: list[Problem], limit: int = 200) -> list[Problem]:
    """The problems with huge bad values shortened, so the message stays readable."""

    def clip(text: str) -> str:
        return text if len(text) <= limit else f"{text[: limit - 30]}... ({len(text)} characters)"

    return [Problem(clip(p.key), clip(p.problem), p.fix) for p in problems]


def _render_loc(loc: list[str]) -> str:
    if not loc:
        return f"{NAMESPACE}:"
    head, rest = loc[0], loc[1:]
    key = f"{NAMESPACE}:{to_camel(head)}"
    for part in rest:
        key += f"[{part}]" if part.isdigit() else f".{part}"
    return key


def _known_fields(loc: list[str]) -> list[str]:
    model: Any = EnvironmentConfig
    for part in loc[:-1]:
        if part.isdigit() or model is None:
            continue
        field = next(
            (f for n, f in model.model_fields.items() if part in (n, f.alias)),
            None,
        )
        if field is None:
            return []
        model = _model_of(field.annotation)
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _suggest(loc: list[str]) -> str:
    known = _known_fields(loc)
    close = difflib.get_close_matches(loc[-1], known, n=1)
    if close:
        return f"did you mean {close[0]!r}? Remove or rename it"
    return f"remove it (known keys here: {', '.join(known)})" if known else "remove it"


def _decode(value: Any) -> Any:
    """Pulumi passes structured config values to programs as JSON text; primitives as strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):  # not JSON, or nested absurdly deep
            return value
    return value


def load_environment(
    expected_env: str | None, raw: Mapping[str, Any], source: str = "Pulumi config"
) -> EnvironmentConfig:
    """Validate the ``landfall:*`` keys of ``raw`` into an EnvironmentConfig.

    ``expected_env`` is the environment named by the stack (or the CLI); the file must agree.
    Raises ConfigError with every problem found.
    """
    if expected_env is not None and expected_env not in ENVIRONMENTS:
        raise ConfigError(
            source,
            [
                Problem(
                    "environment",
                    f"{expected_env!r} is not a known environment",
                    f"use one of {', '.join(ENVIRONMENTS)} (stacks are named <env>-<layer>)",
                )
            ],
        )
    ours: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in raw.items():
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE:
            continue
        decoded = _decode(value)
        if isinstance(decoded, Mapping) and "secure" in decoded and len(decoded) == 1:
            problems.append(
                Problem(
                    key,
                    "is a Pulumi secret, but this project keeps no secrets in config",
                    "store it in AWS Secrets Manager and reference it by name",
                )
            )
            continue
        ours[name] = decoded
    if not ours:
        raise ConfigError(
            source,
            [
                Problem(
                    f"{NAMESPACE}:environment",
                    "no landfall settings were found",
                    "pass --config-file Pulumi.<env>.yaml to pulumi (stacks named <env>-<layer> "
                    "read the shared per-environment file, not Pulumi.<stack>.yaml)",
                )
            ],
        )
    problems += missing_sections(ours)
    try:
        cfg = EnvironmentConfig.model_validate(ours)
    except ValidationError as exc:
        problems += _pydantic_problems(exc)
        raise ConfigError(source, _clipped(problems)) from None
    if problems:
        raise ConfigError(source, _clipped(problems))
    problems += semantic_problems(cfg)
    if expected_env is not None and cfg.environment != expected_env:
        problems.append(
            Problem(
                f"{NAMESPACE}:environment",
                f"is {cfg.environment!r} but the stack or command names {expected_env!r}",
                f"use --config-file Pulumi.{expected_env}.yaml for {expected_env} stacks",
            )
        )
    if problems:
        raise ConfigError(source, _clipped(problems))
    return cfg


def config_file(env: str, root: Path | None = None) -> Path:
    """``Pulumi.<env>.yaml`` of the project at ``root`` (default: found from the current
    directory)."""
    return (root or find_project()) / f"Pulumi.{env}.yaml"


def read_config_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a Pulumi stack config file, or ConfigError if unreadable."""
    source = path.name
    if not path.exists():
        raise ConfigError(
            source,
            [Problem(str(path.name), "does not exist", "create it (copy Pulumi.test.yaml)")],
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            source, [Problem(path.name, f"is not valid YAML{where}", "fix the syntax")]
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            source,
            [Problem(path.name, f"is not UTF-8 text (byte {exc.start})", "save it as UTF-8")],
        ) from None
    except RecursionError:
        raise ConfigError(
            source, [Problem(path.name, "nests too deeply to be a config file", "fix the file")]
        ) from None
    except OSError as exc:
        raise ConfigError(
            source, [Problem(path.name, f"cannot be read ({exc.strerror})", "check the path")]
        ) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(
            source,
            [Problem(path.name, "is not a YAML mapping", "start the file with 'config:'")],
        )
    config = document.get("config", {})
    if not isinstance(config, dict):
        raise ConfigError(
            source, [Problem(f"{path.name}: config", "is not a mapping", "use key: value pairs")]
        )
    return {str(k): v for k, v in config.items()}


def load_environment_file(env: str, root: Path | None = None) -> EnvironmentConfig:
    """Read and validate ``Pulumi.<env>.yaml`` (the CLI's and the harness's entry point)."""
    if env not in ENVIRONMENTS:
        load_environment(env, {})  # raises the unknown-environment error
    path = config_file(env, root)
    return load_environment(env, read_config_file(path), source=path.name)


def load_from_pulumi() -> tuple[EnvironmentConfig, str]:
    """Inside a Pulumi program: the stack's environment config and layer, from the stack name."""
    import pulumi

    stack = pulumi.get_stack()
    env, sep, layer = stack.rpartition("-")
    if not sep or layer not in LAYERS:
        raise ConfigError(
            f"stack {stack!r}",
            [
                Problem(
                    "stack name",
                    f"{stack!r} does not end in one of -{', -'.join(LAYERS)}",
                    "name stacks <env>-<layer>, e.g. test-network",
                )
            ],
        )
    from pulumi.runtime.config import CONFIG, get_config_env

    raw = {**get_config_env(), **CONFIG.get()}
    cfg = load_environment(env, raw, source=f"Pulumi.{env}.yaml (stack {stack})")
    if layer not in cfg.layers():
        raise ConfigError(
            f"stack {stack!r}",
            [
                Problem(
                    "stack name",
                    f"the {env} environment has no {layer} layer",
                    f"use one of {', '.join(f'{env}-{x}' for x in cfg.layers())}",
                )
            ],
        )
    return cfg, layer
