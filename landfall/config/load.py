"""Reading the settings: ``Pulumi.<env>.yaml`` (or the Pulumi runtime's config) into an
``EnvironmentConfig``, or one ``ConfigError`` listing every problem with key, what and fix.
Nothing else in the project reads raw config.

The settings file is read by a guarded YAML loader: at most ``MAX_FILE_BYTES``, duplicate keys
refused (Pulumi's own parser refuses them too), YAML aliases expanded to at most ``MAX_NODES``
values (a "billion laughs" file fails at once instead of exhausting memory), lists of at most
``MAX_LIST_ITEMS`` items and nesting at most ``MAX_DEPTH`` deep. The same size bounds apply to
settings handed over as a mapping (the Pulumi runtime's config, tests), before validation.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import reprlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from landfall.config.catalogue import (
    CATALOGUE_FILE,
    SERVICES_KEY,
    Catalogue,
    catalogue_path,
)
from landfall.config.errors import ConfigError, Problem
from landfall.config.model import (
    ENVIRONMENTS,
    LAYERS,
    NAMESPACE,
    EnvironmentConfig,
    nested_model,
)
from landfall.config.project import find_project
from landfall.config.rules import missing_sections, semantic_problems
from landfall.logic.versions import SUPPORTED_KUBERNETES_VERSIONS

# --- limits ---------------------------------------------------------------------------------------

# The committed settings files are a few KB with a few hundred values, nested 5 deep, and their
# longest list has a handful of items. The limits are far above any real environment and far
# below what makes parsing or validation slow: a file at the limits is refused in about a second.
MAX_FILE_BYTES = 1024 * 1024  # 1 MiB
MAX_NODES = 100_000  # values in the file once every YAML alias is expanded
MAX_LIST_ITEMS = 1_000  # items of any one list (services, instance types, exemptions...)
MAX_DEPTH = 32  # nesting of mappings and lists
_VALUE_CHARS = 60  # a value quoted in a message is clipped to about this many characters
_LEADING_ZERO = re.compile(r"0[0-9]+")


def _error(source: str, problems: list[Problem]) -> ConfigError:
    """The ConfigError of the settings: each problem on one line of at most MAX_LINE
    characters, long values clipped saying how long they were."""
    return ConfigError(source, [p.shortened() for p in problems])


# --- the guarded YAML loader ----------------------------------------------------------------------


class _Refused(Exception):
    """The settings file breaks a limit or has duplicate keys: the problems to report."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


class _WrittenFloat(float):
    """A float of a settings file that remembers how it was written (``1.30``, read as 1.3), so
    the message can say what to quote. Only invalid settings hold one: no setting is a float."""

    yaml_text = ""


class _WrittenInt(int):
    """An int written other than in plain decimal (``012345670123`` is octal in YAML 1.1)."""

    yaml_text = ""


def _base_loader() -> type[Any]:
    """``yaml.SafeLoader`` with libyaml's C scanner and parser (when PyYAML has libyaml) but
    PyYAML's Python composer, so that composing can be counted (``yaml.CSafeLoader`` composes
    in C). Five times faster than the pure-Python loader on a file at the limits."""
    try:
        from yaml._yaml import CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return yaml.SafeLoader

    class CParsed(CParser, Composer, SafeConstructor, Resolver):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

        check_node = Composer.check_node
        get_node = Composer.get_node
        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document
        compose_node = Composer.compose_node
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node

    return CParsed


_BaseLoader = _base_loader()


class _SettingsLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader that counts while it composes: values, list items, nesting and
    duplicate keys, each refused with the key path and line as the user wrote them."""

    def __init__(self, text: str, file_name: str) -> None:
        super().__init__(text)
        self.file_name = file_name
        self.composed = 0  # nodes composed, aliases included
        self.aliases = 0  # alias uses (*name); without any, composed is the expanded size
        self.path: list[str | int] = []
        self.duplicates: list[Problem] = []
        self.unquoted: list[Problem] = []

    def key_path(self, parts: list[str | int]) -> str:
        """``landfall:cluster.nodes.minSize`` for a path under ``config:``, else the file's
        name and the path."""
        inside = len(parts) >= 2 and parts[0] == "config" and isinstance(parts[1], str)
        shown = parts[1:] if inside else parts
        text = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
            for i, p in enumerate(shown)
        )
        return text if inside else f"{self.file_name}: {text or 'the document'}"

    def refuse(self, parts: list[str | int], problem: str, fix: str) -> _Refused:
        return _Refused([Problem(self.key_path(parts), problem, fix)])

    def event_line(self) -> int:
        return int(self.peek_event().start_mark.line) + 1

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.composed += 1
        if self.composed > MAX_NODES:
            raise self.refuse(
                self.path,
                f"holds more than {MAX_NODES:,} values (value {MAX_NODES + 1:,} is at line "
                f"{self.event_line()})",
                "keep only the landfall settings in the file; no environment needs this many",
            )
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
        step: str | int | None = None
        if isinstance(parent, yaml.SequenceNode):
            step = int(index)
            if step >= MAX_LIST_ITEMS:
                raise self.refuse(
                    self.path,
                    f"has more than {MAX_LIST_ITEMS:,} items (the list starts at line "
                    f"{parent.start_mark.line + 1})",
                    f"list at most {MAX_LIST_ITEMS:,} items",
                )
        elif isinstance(parent, yaml.MappingNode) and index is not None:
            step = str(index.value) if isinstance(index, yaml.ScalarNode) else "?"
        if step is None:
            return super().compose_node(parent, index)
        if len(self.path) >= MAX_DEPTH:
            raise _Refused(
                [
                    Problem(
                        self.file_name,
                        f"nests more than {MAX_DEPTH} levels deep (line {self.event_line()}), too "
                        "deeply to be a config file",
                        "fix the file",
                    )
                ]
            )
        self.path.append(step)
        try:
            return super().compose_node(parent, index)
        finally:
            self.path.pop()

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        first_line: dict[tuple[str, str], int] = {}
        for key, _value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            line = key.start_mark.line + 1
            ident = (key.tag, key.value)
            if ident not in first_line:
                first_line[ident] = line
                continue
            first = first_line[ident]
            where = f"line {line}" if first == line else f"lines {first} and {line}"
            self.duplicates.append(
                Problem(
                    self.key_path([*self.path, str(key.value)]),
                    f"is given twice ({where}); YAML allows each key once, and Pulumi refuses "
                    "the file",
                    "keep one",
                )
            )
        return node

    def compose_scalar_node(self, anchor: Any) -> yaml.ScalarNode:
        node = super().compose_scalar_node(anchor)
        account = ["config", f"{NAMESPACE}:accountId"]
        plain_digits = not node.style and _LEADING_ZERO.fullmatch(str(node.value))
        if plain_digits and node.tag == "tag:yaml.org,2002:str" and self.path == account:
            # YAML 1.1 (PyYAML) reads 012345678901 as text (8 and 9 are not octal digits);
            # YAML 1.2 (Pulumi) reads it as the number 12345678901.
            self.unquoted.append(
                Problem(
                    account[1],
                    f"is written without quotes (line {node.start_mark.line + 1}): landfall "
                    f"reads {node.value} as text, but Pulumi reads it as the number "
                    f"{int(node.value)}, dropping the leading zero",
                    f'quote it: accountId: "{node.value}"',
                )
            )
        return node

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = _WrittenFloat(super().construct_yaml_float(node))
        value.yaml_text = str(node.value)
        return value

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = super().construct_yaml_int(node)
        if str(node.value) == str(value):
            return value
        written = _WrittenInt(value)
        written.yaml_text = str(node.value)
        return written


_SettingsLoader.add_constructor("tag:yaml.org,2002:float", _SettingsLoader.construct_yaml_float)
_SettingsLoader.add_constructor("tag:yaml.org,2002:int", _SettingsLoader.construct_yaml_int)


def _expansion(
    node: yaml.Node,
    memo: dict[int, tuple[int, int]],
    active: set[int],
    depth: int,
    loader: _SettingsLoader,
    path: list[str | int],
) -> tuple[int, int]:
    """(values, nesting) of ``node`` with every alias expanded, both saturating just above the
    limits. Memoised per node, so a billion-laughs file costs one step per anchor."""
    ident = id(node)
    if ident in active:
        raise loader.refuse(
            path,
            f"contains a YAML alias to itself (line {node.start_mark.line + 1})",
            "remove the recursive alias",
        )
    if ident not in memo:
        active.add(ident)
        size, height = 1, 0
        children: list[tuple[str | int, yaml.Node]] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                children += [(name, key), (name, value)]
        for step, child in children:
            if depth + 1 > MAX_DEPTH:
                raise loader.refuse(
                    path,
                    f"nests more than {MAX_DEPTH} levels deep once its YAML aliases are "
                    "expanded, too deeply to be a config file",
                    "fix the file",
                )
            child_size, child_height = _expansion(
                child, memo, active, depth + 1, loader, [*path, step]
            )
            size, height = size + child_size, max(height, child_height + 1)
            if size > MAX_NODES:
                break
        active.discard(ident)
        memo[ident] = (min(size, MAX_NODES + 1), height)
    size, height = memo[ident]
    if depth + height > MAX_DEPTH:
        raise loader.refuse(
            path,
            f"nests more than {MAX_DEPTH} levels deep once its YAML aliases are expanded, too "
            "deeply to be a config file",
            "fix the file",
        )
    return size, height


def _check_expansion(root: yaml.Node, loader: _SettingsLoader) -> None:
    """Refuse a document whose aliases expand it beyond ``MAX_NODES`` values, naming the
    top-level setting that explodes when there is one."""
    memo: dict[int, tuple[int, int]] = {}
    parts: list[tuple[list[str | int], yaml.Node]] = []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            if name == "config" and isinstance(value, yaml.MappingNode):
                parts += [
                    (["config", str(k.value) if isinstance(k, yaml.ScalarNode) else "?"], v)
                    for k, v in value.value
                ]
    parts.append(([], root))
    for path, node in parts:
        size, _ = _expansion(node, memo, set(), len(path), loader, path)
        if size > MAX_NODES:
            raise loader.refuse(
                path,
                f"expands to more than {MAX_NODES:,} values through YAML aliases (*name), "
                'which is how an alias bomb ("billion laughs") is built',
                "write the values out, or use fewer aliases",
            )


def _parse(text: str, file_name: str) -> tuple[Any, list[Problem]]:
    """The document in ``text``, read with the guarded loader, and the problems that do not
    stop reading it (an unquoted account ID); _Refused or a YAMLError."""
    loader = _SettingsLoader(text, file_name)
    try:
        root = loader.get_single_node()
        if loader.duplicates:
            raise _Refused(loader.duplicates)
        if root is None:
            return None, []
        if loader.aliases:
            _check_expansion(root, loader)
        return loader.construct_document(root), loader.unquoted
    finally:
        loader.dispose()


class _Settings(dict[str, Any]):
    """The ``config:`` mapping of a settings file, with the problems found while reading it
    that ``load_environment`` reports along with the others."""

    read_problems: list[Problem]


# --- turning pydantic's errors into problems ------------------------------------------------------

_QUOTED_EXAMPLE = re.compile(r'`("[^"`]+")`')
_EG_EXAMPLE = re.compile(r"e\.g\. `([^`]+)`")
_RANGE_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}
_LENGTH_ERRORS = {"too_short", "too_long", "string_too_short", "string_too_long"}
_BOUND_NAMES = ("ge", "gt", "le", "lt", "min_length", "max_length")
_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping (key: value pairs)",
    "model_type": "a mapping (key: value pairs)",
    "model_attributes_type": "a mapping (key: value pairs)",
}

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 2, 4, 3
_REPR.maxstring = _REPR.maxother = _VALUE_CHARS


def _show(value: Any) -> str:
    """``value`` as Python writes it, clipped: ``'xxxx...' (100000 characters)``."""
    if isinstance(value, str) and len(value) > _VALUE_CHARS:
        return f"{value[: _VALUE_CHARS - 20]!r}... ({len(value)} characters)"
    return _REPR.repr(value)


def _kind_of(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {_show(value)}"
    if isinstance(value, str):
        return f"the text {_show(value)}"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, Mapping):
        return "a mapping"
    return _show(value)


def _render_loc(loc: list[str | int]) -> str:
    """The key path as written in the file: ``landfall:cluster.nodes.minSize``,
    ``landfall:services[2].name``."""
    if not loc:
        return f"{NAMESPACE}:"
    key = f"{NAMESPACE}:{loc[0]}"
    for part in loc[1:]:
        key += f"[{part}]" if isinstance(part, int) else f".{part}"
    return key


def _field_of(model: Any, name: str) -> FieldInfo | None:
    return next((f for n, f in model.model_fields.items() if name in (n, f.alias)), None)


def _field_at(loc: list[str | int]) -> FieldInfo | None:
    """The model field at ``loc`` (list indexes skipped; inside a free-form mapping such as
    ``tags``, that mapping's field); None for an unknown key."""
    model: Any = EnvironmentConfig
    field: FieldInfo | None = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return field
        field = _field_of(model, part)
        if field is None:
            return None
        model = nested_model(field.annotation)[0]
    return field


def _known_fields(loc: list[str | int]) -> list[str]:
    model: Any = EnvironmentConfig
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = _field_of(model, part)
        if field is None:
            return []
        model = nested_model(field.annotation)[0]
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _suggest(loc: list[str | int]) -> str:
    known = _known_fields(loc)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"did you mean {close[0]!r}? Remove or rename it"
    return f"remove it (known keys here: {', '.join(known)})" if known else "remove it"


def _example(field: FieldInfo | None) -> str:
    """An example value for ``field`` as it is written in the file: the quoted form its
    description shows (``"1.33"``), else its ``e.g.``, else its default or lower bound."""
    if field is None:
        return ""
    description = field.description or ""
    for pattern in (_QUOTED_EXAMPLE, _EG_EXAMPLE):
        found = pattern.search(description)
        if found:
            return found.group(1)
    if get_origin(field.annotation) is Literal:
        return str(get_args(field.annotation)[0])
    default = field.default
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, int | str) and default != "":
        return str(default)
    bounds = _bounds(field, {})
    if "ge" in bounds:
        return str(bounds["ge"])
    return ""


def _with_example(text: str, field: FieldInfo | None) -> str:
    example = _example(field)
    return f"{text}, e.g. {example}" if example else text


def _bounds(field: FieldInfo | None, ctx: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for meta in field.metadata if field is not None else ():
        for name in _BOUND_NAMES:
            value = getattr(meta, name, None)
            if value is not None:
                found[name] = value
    found.update({k: v for k, v in ctx.items() if k in _BOUND_NAMES})
    return found


def _allowed(bounds: Mapping[str, Any], lower: str, upper: str) -> str:
    """``1 to 35``, ``at least 1``, ``more than 0``... from the bounds named lower and upper."""
    low = bounds.get(lower, bounds.get("ge"))
    high = bounds.get(upper, bounds.get("le"))
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    if "gt" in bounds:
        return f"more than {bounds['gt']}"
    if "lt" in bounds:
        return f"less than {bounds['lt']}"
    return "within its limits"


def _as_written(value: float | int, field: FieldInfo | None, name: str) -> str:
    """How a number read from YAML was most likely written: its text when the loader kept it,
    else the supported Kubernetes version it equals (``1.3`` -> ``1.30``), else its repr."""
    written = getattr(value, "yaml_text", "")
    if written:
        return str(written)
    if name == "kubernetesVersion" and isinstance(value, float):
        for version in SUPPORTED_KUBERNETES_VERSIONS:
            try:
                if float(version) == value:
                    return version
            except ValueError:
                continue
    return repr(value)


def _number_for_text(key: str, name: str, value: float | int, field: FieldInfo | None) -> Problem:
    """A setting that is text but was written unquoted, so YAML read it as a number."""
    written = _as_written(value, field, name)
    shown = _show(value)
    if isinstance(value, float):
        problem = f"was read as the number {shown}, not as text: YAML reads an unquoted {written} "
        problem += "as a number" + (f" ({written} became {shown})" if written != shown else "")
    elif written != str(value):
        problem = (
            f"was read as the number {shown}, not as text: YAML reads an unquoted {written} "
            "as an octal or other number"
        )
    else:
        problem = f"was read as the number {shown}, not as text"
    if name == "accountId":
        problem += "; an account ID is 12 digits, leading zeros included"
    return Problem(key, problem, f'quote it: {name}: "{written}"')


def _problem_for(err: Mapping[str, Any]) -> Problem:
    loc: list[str | int] = [p if isinstance(p, int) else str(p) for p in err["loc"]]
    key = _render_loc(loc)
    kind = str(err["type"])
    value = err.get("input")
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    field = _field_at(loc)
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), NAMESPACE)
    if kind == "missing":
        return Problem(key, "is required but missing", _with_example(f"add {name}", field))
    if kind == "extra_forbidden":
        return Problem(key, "is not a known setting", _suggest(loc))
    if kind == "value_error":
        message = str(err["msg"]).removeprefix("Value error, ")
        if isinstance(value, str) and len(value) > _VALUE_CHARS:
            message = message.replace(repr(value), _show(value))
        problem, _, fix = message.partition("; ")
        if not fix:
            fix = _with_example(f"change {name} as that says", field)
            fix += " (docs/configuration.md describes every setting)"
        return Problem(key, problem, fix)
    if kind == "literal_error":
        choices = str(ctx.get("expected", ""))
        fix = f"use one of {choices}"
        if isinstance(value, str) and f"'{value.lower()}'" in choices.lower():
            fix += " (letter case matters)"
        return Problem(key, f"{_show(value)} is not allowed", fix)
    if kind in _RANGE_ERRORS:
        allowed = _allowed(_bounds(field, ctx), "ge", "le")
        return Problem(
            key, f"is {_show(value)}, outside the allowed range ({allowed})", f"use {allowed}"
        )
    if kind in _LENGTH_ERRORS:
        bounds = _bounds(field, ctx)
        allowed = _allowed(bounds, "min_length", "max_length")
        if kind.startswith("string"):
            length = len(value) if isinstance(value, str) else "?"
            unit = "characters"
        else:
            length = ctx.get("actual_length", len(value) if isinstance(value, list) else "?")
            unit = "items"
        allowed_unit = unit[:-1] if allowed.endswith(" 1") else unit
        return Problem(
            key,
            f"has {length} {unit[:-1] if length == 1 else unit}; allowed: {allowed} {allowed_unit}",
            _with_example(f"give it {allowed} {allowed_unit}", field),
        )
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        fix = _with_example("write it in that form", field)
        if isinstance(value, str) and re.fullmatch(pattern, value, re.IGNORECASE):
            fix += " (letter case matters)"
        return Problem(key, f"{_show(value)} is not in the form {pattern}", fix)
    expected = _EXPECTED.get(kind)
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        return _number_for_text(key, name, value, field)
    if kind == "string_type" and isinstance(value, bool):
        return Problem(
            key,
            f"was read as the boolean {str(value).lower()}, not as text: YAML reads unquoted "
            "yes, no, on, off, true and false as booleans",
            'quote it as you meant it, e.g. "no"',
        )
    if expected is not None:
        model = nested_model(field.annotation)[0] if field is not None else None
        if model is not None and expected.startswith("a mapping"):
            needed = [f.alias or n for n, f in model.model_fields.items() if f.is_required()]
            keys = f" with {', '.join(needed[:4])}" if needed else ""
            fix = f"write {expected}{keys} (see docs/configuration.md)"
        elif kind == "list_type":
            example = _example(field)
            example = example if example.startswith("[") or not example else f"[{example}]"
            fix = f"write a list, e.g. {example or '[a, b]'}"
        else:
            fix = _with_example(f"write {expected}", field)
        return Problem(key, f"is {_kind_of(value)}, but must be {expected}", fix)
    message = str(err.get("msg", "is not valid"))
    return Problem(
        key,
        f"{message[:1].lower()}{message[1:]} (got {_show(value)})",
        _with_example("set it as docs/configuration.md describes", field),
    )


def _pydantic_problems(exc: ValidationError) -> list[Problem]:
    return [_problem_for(err) for err in exc.errors()]


# --- keys outside the landfall namespace and oversized values -------------------------------------


def _foreign_key(key: str) -> Problem | None:
    """A problem for a key that looks meant for landfall but is not ``landfall:<name>``: an
    unnamespaced key, or a namespace close to ``landfall`` (``landfal:``). Other namespaces
    (``aws:``, ``pulumi:``, ``kubernetes:``) belong to other programs and are ignored."""
    namespace, colon, name = key.partition(":")
    shown = key if key.strip() else repr(key)
    known = [f.alias or n for n, f in EnvironmentConfig.model_fields.items()]
    if not colon and key == NAMESPACE:
        return Problem(
            shown,
            "holds the settings as one mapping, but each is a key of its own in Pulumi config",
            f"write them as {NAMESPACE}:<key> keys, e.g. {NAMESPACE}:environment: test",
        )
    if not colon:
        close = difflib.get_close_matches(key, known, n=1)
        target = f"{NAMESPACE}:{close[0] if close else key}"
        return Problem(
            shown,
            f"has no namespace, so it is not a landfall setting (those are {NAMESPACE}:<key>)",
            f"write it as {target}",
        )
    if not difflib.get_close_matches(namespace.lower(), [NAMESPACE], n=1):
        return None
    close = difflib.get_close_matches(name, known, n=1)
    return Problem(
        shown,
        f"is in the namespace {namespace!r}, not {NAMESPACE!r}, so it is not read",
        f"did you mean '{NAMESPACE}:{close[0] if close else name}'? Rename it",
    )


def _size_problems(ours: Mapping[str, Any]) -> tuple[list[Problem], set[str]]:
    """Lists longer than MAX_LIST_ITEMS, more than MAX_NODES values or nesting deeper than
    MAX_DEPTH in the settings (checked before validation, which would take long on them), and
    the top-level settings they are in."""
    problems: list[Problem] = []
    bad: set[str] = set()
    budget = MAX_NODES
    for name, value in ours.items():
        stack: list[tuple[Any, str, int]] = [(value, f"{NAMESPACE}:{name}", 1)]
        while stack:
            item, where, depth = stack.pop()
            budget -= 1
            problem: Problem | None = None
            if budget < 0:
                problem = Problem(
                    f"{NAMESPACE}:{name}",
                    f"brings the settings to more than {MAX_NODES:,} values",
                    "keep only what this environment needs",
                )
            elif depth > MAX_DEPTH:
                problem = Problem(
                    where, f"nests more than {MAX_DEPTH} levels deep", "flatten the value"
                )
            elif isinstance(item, list | tuple) and len(item) > MAX_LIST_ITEMS:
                problem = Problem(
                    where,
                    f"has {len(item):,} items; a list holds at most {MAX_LIST_ITEMS:,}",
                    f"list at most {MAX_LIST_ITEMS:,} items",
                )
            elif isinstance(item, list | tuple):
                stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(item)]
            elif isinstance(item, Mapping):
                stack += [(v, f"{where}.{k}", depth + 1) for k, v in item.items()]
            if problem is not None:
                problems.append(problem)
                bad.add(name)
                break
        if budget < 0:
            break
    return problems, bad


def _section(key: str) -> str:
    """The top-level setting a problem's key is in: ``landfall:cluster.nodes`` -> ``cluster``."""
    return re.split(r"[.\[]", key.removeprefix(f"{NAMESPACE}:"), maxsplit=1)[0]


def _cross_field_problems(
    ours: Mapping[str, Any], bad: set[str], cfg: EnvironmentConfig | None
) -> tuple[EnvironmentConfig | None, list[Problem]]:
    """The model and its cross-field problems. ``cfg`` is the model of the settings other than
    ``bad`` ones, if it validated. With bad settings (basic errors already reported), the rules
    run on the model of the others, and what they say about the bad ones is dropped; if even
    that model fails, or a rule trips over the partial model, the cross-field rules wait until
    the basic errors are fixed."""
    if cfg is None:
        try:
            cfg = EnvironmentConfig.model_validate({k: v for k, v in ours.items() if k not in bad})
        except ValidationError:
            return None, []
    if not bad:
        return cfg, semantic_problems(cfg)
    try:
        found = semantic_problems(cfg)
    except Exception:  # a rule assuming a setting that was invalid, so left out
        return cfg, []
    return cfg, [p for p in found if _section(p.key) not in bad]


# --- reading and validating -----------------------------------------------------------------------


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
    Raises ConfigError with every problem found: unknown or misspelt keys and namespaces, values
    of the wrong type or out of range, and the cross-field rules of the settings that are valid.
    """
    if expected_env is not None and expected_env not in ENVIRONMENTS:
        raise _error(
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
    problems: list[Problem] = list(getattr(raw, "read_problems", []))
    misplaced: list[Problem] = []
    for raw_key, value in raw.items():
        key = str(raw_key)
        namespace, colon, name = key.partition(":")
        if namespace != NAMESPACE or not colon:
            foreign = _foreign_key(key)
            if foreign is not None:
                misplaced.append(foreign)
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
    problems = misplaced + problems
    if not ours:
        if not misplaced:
            problems.append(
                Problem(
                    f"{NAMESPACE}:environment",
                    "no landfall settings were found",
                    "pass --config-file Pulumi.<env>.yaml to pulumi (stacks named <env>-<layer> "
                    "read the shared per-environment file, not Pulumi.<stack>.yaml)",
                )
            )
        raise _error(source, problems)
    too_big, bad = _size_problems(ours)
    problems += too_big
    missing = missing_sections(ours)
    problems += missing
    bad |= {_section(p.key) for p in missing}
    valid = {k: v for k, v in ours.items() if k not in bad}
    cfg: EnvironmentConfig | None = None
    try:
        cfg = EnvironmentConfig.model_validate(valid)
    except ValidationError as exc:
        problems += _pydantic_problems(exc)
        locs = [err["loc"] for err in exc.errors()]
        if not all(locs):  # an error of the whole model: no valid part to check further
            raise _error(source, problems) from None
        bad |= {str(loc[0]) for loc in locs}
    cfg, cross = _cross_field_problems(ours, bad, cfg)
    problems += cross
    if cfg is not None and expected_env is not None and cfg.environment != expected_env:
        problems.append(
            Problem(
                f"{NAMESPACE}:environment",
                f"is {cfg.environment!r} but the stack or command names {expected_env!r}",
                f"use --config-file Pulumi.{expected_env}.yaml for {expected_env} stacks",
            )
        )
    if problems or cfg is None:
        raise _error(source, problems)
    return cfg


def config_file(env: str, root: Path | None = None) -> Path:
    """``Pulumi.<env>.yaml`` of the project at ``root`` (default: found from the current
    directory)."""
    return (root or find_project()) / f"Pulumi.{env}.yaml"


def _read_text(path: Path) -> str:
    """The file's text, read without trusting its size; _Refused for anything unreadable."""
    name = path.name
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
            size = max(len(data), _stat_size(handle))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise _Refused([Problem(name, f"cannot be read ({reason})", "check the path")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise _Refused(
            [
                Problem(
                    name,
                    f"is {size:,} bytes; settings files are at most {MAX_FILE_BYTES:,} bytes "
                    "(1 MiB)",
                    "keep only the landfall settings in it (the committed files are a few KB)",
                )
            ]
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refused(
            [Problem(name, f"is not UTF-8 text (byte {exc.start})", "save it as UTF-8")]
        ) from None


def _stat_size(handle: Any) -> int:
    try:
        return os.fstat(handle.fileno()).st_size
    except OSError:
        return 0


def read_config_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a Pulumi stack config file, or ConfigError if unreadable, too
    large, not YAML, or holding duplicate keys or an alias bomb."""
    source = str(path)
    name = path.name
    if not path.exists():
        raise _error(
            source,
            [Problem(name, "does not exist", "create it (copy Pulumi.test.yaml)")],
        )
    try:
        document, read_problems = _parse(_read_text(path), name)
    except _Refused as exc:
        raise _error(source, exc.problems) from None
    except yaml.YAMLError as exc:
        if "nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own depth limit
            raise _error(
                source, [Problem(name, "nests too deeply to be a config file", "fix the file")]
            ) from None
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        what = getattr(exc, "problem", None)
        detail = f" ({what})" if what else ""
        raise _error(
            source, [Problem(name, f"is not valid YAML{where}{detail}", "fix the syntax")]
        ) from None
    except RecursionError:
        raise _error(
            source, [Problem(name, "nests too deeply to be a config file", "fix the file")]
        ) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise _error(
            source,
            [Problem(name, "is not a YAML mapping", "start the file with 'config:'")],
        )
    config = document.get("config", {})
    if not isinstance(config, dict):
        raise _error(
            source, [Problem(f"{name}: config", "is not a mapping", "use key: value pairs")]
        )
    if not read_problems:
        return {str(k): v for k, v in config.items()}
    settings = _Settings((str(k), v) for k, v in config.items())  # carries the problems along
    settings.read_problems = read_problems
    return settings


def load_environment_file(env: str, root: Path | None = None) -> EnvironmentConfig:
    """Read and validate ``Pulumi.<env>.yaml`` (the CLI's and the harness's entry point)."""
    return read_environment_file(env, root)[1]


def read_environment_file(
    env: str, root: Path | None = None
) -> tuple[dict[str, Any], EnvironmentConfig]:
    """The settings of ``Pulumi.<env>.yaml`` with the catalogue's services, as read, and
    validated (the harness hands the former to the programs as their Pulumi config)."""
    if env not in ENVIRONMENTS:
        load_environment(env, {})  # raises the unknown-environment error
    path = config_file(env, root)
    raw = with_catalogue(read_config_file(path), path.parent, env, str(path))
    return raw, load_environment(env, raw, source=str(path))


def load_from_pulumi() -> tuple[EnvironmentConfig, str]:
    """Inside a Pulumi program: the stack's environment config and layer, from the stack name."""
    import pulumi

    stack = pulumi.get_stack()
    env, sep, layer = stack.rpartition("-")
    if not sep or layer not in LAYERS:
        raise _error(
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
    if SERVICES_KEY not in raw:  # the CLI's config never lists them: the catalogue does
        raw = with_catalogue(raw, Path.cwd(), env, f"Pulumi.{env}.yaml (stack {stack})")
    cfg = load_environment(env, raw, source=f"Pulumi.{env}.yaml (stack {stack})")
    if layer not in cfg.layers():
        raise _error(
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


# --- the service catalogue ----------------------------------------------------------------------


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate the catalogue; ConfigError naming the file and every problem."""
    source = str(path)
    if not path.exists():
        raise ConfigError(
            source,
            [Problem(CATALOGUE_FILE, "does not exist", "create it: `landfall service new NAME`")],
        )
    try:
        document, problems = _parse(_read_text(path), path.name)
    except _Refused as exc:
        raise ConfigError(source, exc.problems) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            source, [Problem(path.name, f"is not valid YAML ({exc})", "fix the syntax")]
        ) from None
    if problems:
        raise ConfigError(source, problems)
    try:
        catalogue = Catalogue.model_validate(document or {})
    except ValidationError as exc:
        problems = [
            Problem(x.key.removeprefix(f"{NAMESPACE}:"), x.problem, x.fix)
            for x in _pydantic_problems(exc)
        ]
        raise ConfigError(source, problems) from None
    names = [s.name for s in catalogue.services]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(
            source,
            [Problem(f"services: {d}", "is listed twice", "keep one entry") for d in duplicates],
        )
    return catalogue


def with_catalogue(
    raw: Mapping[str, Any], root: Path, env: str, settings_name: str
) -> dict[str, Any]:
    """The settings ``raw`` with ``landfall:services`` projected from the catalogue at ``root``.
    A settings file that lists services itself gets a problem (reported with the others by
    ``load_environment``): the catalogue is the one place."""
    merged = _Settings((k, v) for k, v in raw.items() if k != SERVICES_KEY)
    merged.read_problems = list(getattr(raw, "read_problems", []))
    if SERVICES_KEY in raw:
        merged.read_problems.append(
            Problem(
                SERVICES_KEY,
                "services are declared in the catalogue, not in the settings",
                f"move them to {CATALOGUE_FILE} (`environments:` says where each runs) and "
                f"delete the key from {Path(settings_name).name}",
            )
        )
    if env in ENVIRONMENTS:
        merged[SERVICES_KEY] = load_catalogue(catalogue_path(root)).for_environment(env)
    return merged
