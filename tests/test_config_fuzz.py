"""Bad input never corrupts or crashes: property-based tests over broken environment configs.

Each case starts from the committed Pulumi.test.yaml or Pulumi.prod.yaml and breaks it (wrong
types, missing and unknown keys, bad CIDRs, inconsistent sizes, huge values, unicode), or feeds
``read_config_file`` files that are empty, not YAML, not a mapping or not text. Every broken case
must end in landfall's own ConfigError with a readable message naming the key and the fix; any
mutation at all must end in a valid config or that ConfigError, never another exception. For a
sample the offline harness runs too, to show that no layer (hence no resource) starts.

Runs a bounded, reproducible number of examples (``LANDFALL_FUZZ_EXAMPLES`` scales it up).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from project import committed_settings

import landfall.plan.harness.runner as runner
from landfall.config import (
    EnvironmentConfig,
    load_environment,
    read_config_file,
)
from landfall.config.errors import ConfigError
from landfall.plan.harness import plan_environment

EXAMPLES = int(os.environ.get("LANDFALL_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="LANDFALL_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# One worker runs this file's tests: its module fixtures are made once (pytest-xdist).
pytestmark = pytest.mark.xdist_group("fuzz")
ENVS = ("test", "prod")


def _base(env: str) -> dict[str, Any]:
    """The settings as the programs see them: the file, the catalogue's services, and one extra
    image repository in the cloud environments (so the fuzzer reaches that list's items)."""
    raw = committed_settings(env)
    if "landfall:registry" in raw:
        raw["landfall:registry"] = {**raw["landfall:registry"], "imageRepositories": ["tools"]}
    return raw


BASE = {env: _base(env) for env in ENVS}
RUNS: Counter[str] = Counter()  # examples run, per property
KINDS: Counter[str] = Counter()  # how the broken configs were broken

Path_ = tuple[Any, ...]


@pytest.fixture(scope="module", autouse=True)
def report_case_count(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print how many generated cases ran (visible without -s)."""
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    runs = ", ".join(f"{name} {n}" for name, n in RUNS.items())
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(KINDS.items()))
    line = f"config fuzz: {RUNS.total()} generated cases ({runs}); broken configs by kind: {kinds}"
    if reporter is None or capture is None:  # pragma: no cover
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)


# --- walking the real config --------------------------------------------------------------------


def nodes(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) below the root; paths are dict keys and list indices."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key), child
            yield from nodes(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield (*path, i), child
            yield from nodes(child, (*path, i))


def in_tags(path: Path_) -> bool:
    """Inside ``landfall:tags`` any key is allowed (a free-form string map)."""
    return path[:1] == ("landfall:tags",)


def set_at(data: dict[str, Any], path: Path_, value: Any) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def delete_at(data: dict[str, Any], path: Path_) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]


def describe(path: Path_) -> str:
    return ".".join(str(p) for p in path)


# The settings a config cannot do without: required by the model, or by the cloud environments.
REQUIRED = [
    ("landfall:environment",),
    ("landfall:region",),
    ("landfall:accountId",),
    ("landfall:network",),
    ("landfall:network", "vpcCidr"),
    ("landfall:network", "natGateways"),
    ("landfall:dns",),
    ("landfall:dns", "domain"),
    ("landfall:database",),
    ("landfall:database", "engineVersion"),
    ("landfall:database", "instanceClass"),
    ("landfall:database", "allocatedStorageGb"),
    ("landfall:database", "maxAllocatedStorageGb"),
    ("landfall:database", "multiAz"),
    ("landfall:database", "backupRetentionDays"),
    ("landfall:search",),
    ("landfall:search", "engineVersion"),
    ("landfall:search", "instanceType"),
    ("landfall:search", "instanceCount"),
    ("landfall:search", "volumeSizeGb"),
    ("landfall:search", "zoneAwareness"),
    ("landfall:registry",),
    ("landfall:cluster",),
    ("landfall:cluster", "kubernetesVersion"),
    ("landfall:cluster", "nodes"),
    ("landfall:cluster", "nodes", "capacityType"),
    ("landfall:cluster", "nodes", "instanceTypes"),
    ("landfall:cluster", "nodes", "minSize"),
    ("landfall:cluster", "nodes", "desiredSize"),
    ("landfall:cluster", "nodes", "maxSize"),
    ("landfall:cluster", "ssoMappings", 0, "permissionSet"),
    ("landfall:cluster", "ssoMappings", 0, "kubernetesGroup"),
    ("landfall:cluster", "ssoMappings", 0, "access"),
    ("landfall:services", 0, "name"),
    ("landfall:gitops",),
    ("landfall:gitops", "source"),
    ("landfall:gitops", "url"),
    ("landfall:gitops", "deployKeySecretId"),
]
# String settings with a fixed form: any non-ASCII text, and any huge text, is wrong for them.
FORMATTED = [
    ("landfall:environment",),
    ("landfall:region",),
    ("landfall:accountId",),
    ("landfall:network", "vpcCidr"),
    ("landfall:network", "natGateways"),
    ("landfall:dns", "domain"),
    ("landfall:database", "engineVersion"),
    ("landfall:database", "instanceClass"),
    ("landfall:search", "engineVersion"),
    ("landfall:search", "instanceType"),
    ("landfall:registry", "imageRepositories", 0),
    ("landfall:cluster", "kubernetesVersion"),
    ("landfall:cluster", "nodes", "capacityType"),
    ("landfall:cluster", "nodes", "instanceTypes", 0),
    ("landfall:cluster", "ssoMappings", 0, "kubernetesGroup"),
    ("landfall:cluster", "ssoMappings", 0, "access"),
    ("landfall:services", 0, "name"),
    ("landfall:gitops", "source"),
    ("landfall:gitops", "interval"),
]
# Integer settings: all are bounded, so huge or negative huge values are wrong for every one.
INTEGERS = [
    path
    for env in ENVS
    for path, value in nodes(BASE[env])
    if isinstance(value, int) and not isinstance(value, bool)
]


# --- value strategies ---------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
containers = st.one_of(
    st.lists(json_values, min_size=0, max_size=3),
    st.dictionaries(st.text(max_size=10), json_values, max_size=3),
)
unicode_text = st.text(min_size=1, max_size=40).filter(lambda s: not s.isascii())


def wrong_type_for(current: Any) -> st.SearchStrategy[Any]:
    """Values of a shape or type no setting of ``current``'s kind accepts."""
    if isinstance(current, dict):
        return st.one_of(st.lists(json_values, max_size=3), st.integers(), st.floats())
    if isinstance(current, list):
        return st.one_of(
            st.dictionaries(st.text(max_size=10), json_values, max_size=3),
            st.integers(),
            st.text(max_size=20).filter(lambda s: not s.startswith(("[", "{"))),
        )
    if isinstance(current, bool):
        return st.one_of(
            containers,
            st.integers().filter(lambda i: i not in (0, 1)),
            st.text(max_size=20).map(lambda s: f"not-a-bool {s}"),
        )
    if isinstance(current, int):
        return st.one_of(
            containers,
            st.text(max_size=20).map(lambda s: f"x{s}"),
            st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != int(f)),
        )
    return st.one_of(containers, st.integers(), st.floats(allow_nan=False))


def malformed_cidr(text: str) -> bool:
    try:
        ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        return True
    return False


bad_cidrs = st.one_of(
    st.sampled_from(
        [
            "10.20.0.1/16",
            "10.0.0.0/33",
            "300.0.0.0/8",
            "10.0.0/16",
            "10.0.0.0",
            "::/0",
            "fd00::/8",
            "\uff11\uff10.0.0.0/16",
            " 10.0.0.0/16",
            "10.0.0.0/16\n",
            "",
            "0x0a000000/8",
        ]
    ),
    st.text(max_size=30).filter(malformed_cidr),
    st.from_regex(r"\A[0-9]{1,3}(\.[0-9]{1,4}){3}/[0-9]{1,3}\Z").filter(malformed_cidr),
)


# --- broken configs -----------------------------------------------------------------------------


@st.composite
def broken_configs(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    """(environment, raw config, what was broken): always an invalid configuration."""
    env = draw(st.sampled_from(ENVS))
    raw = copy.deepcopy(BASE[env])
    kind = draw(
        st.sampled_from(
            [
                "wrong type",
                "missing key",
                "unknown key",
                "bad cidr",
                "inconsistent sizes",
                "huge value",
                "unicode",
                "json text",
            ]
        )
    )
    KINDS[kind] += 1
    if kind == "wrong type":
        path, current = draw(st.sampled_from(list(nodes(raw))))
        set_at(raw, path, draw(wrong_type_for(current)))
        return env, raw, f"{kind} at {describe(path)}"
    if kind == "missing key":
        path = draw(st.sampled_from([p for p in REQUIRED if _exists(raw, p)]))
        delete_at(raw, path)
        return env, raw, f"{kind} {describe(path)}"
    if kind == "unknown key":
        mappings = [()] + [p for p, v in nodes(raw) if isinstance(v, dict) and not in_tags(p)]
        path = draw(st.sampled_from(mappings))
        name = "x" + draw(st.text(max_size=20))
        extra = draw(json_values)
        if path == ():
            raw[f"landfall:{name}"] = extra
        else:
            set_at(raw, (*path, name), extra)
        return env, raw, f"{kind} {name!r} under {describe(path) or 'the root'}"
    if kind == "bad cidr":
        cidr = draw(bad_cidrs)
        where = draw(st.sampled_from(["vpcCidr", "serviceCidr", "endpointPublicAccessCidrs"]))
        if where == "vpcCidr":
            raw["landfall:network"]["vpcCidr"] = cidr
        elif where == "serviceCidr":
            raw["landfall:cluster"]["serviceCidr"] = draw(
                st.one_of(st.just(cidr), st.just(raw["landfall:network"]["vpcCidr"]))
            )
        else:
            raw["landfall:cluster"]["endpointPublicAccessCidrs"] = [cidr]
        return env, raw, f"{kind} {where}={cidr!r}"
    if kind == "inconsistent sizes":
        return env, raw, draw(_inconsistent(raw))
    if kind == "huge value":
        if draw(st.booleans()):
            path = draw(st.sampled_from([p for p in INTEGERS if _exists(raw, p)]))
            value: Any = draw(
                st.one_of(
                    st.integers(min_value=10**5, max_value=10**400),
                    st.integers(min_value=-(10**400), max_value=-(10**5)),
                    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308]),
                )
            )
        else:
            path = draw(st.sampled_from([p for p in FORMATTED if _exists(raw, p)]))
            value = draw(st.text(min_size=1, max_size=5)) * draw(
                st.integers(min_value=20_000, max_value=60_000)
            )
        set_at(raw, path, value)
        return env, raw, f"{kind} at {describe(path)}"
    if kind == "unicode":
        path = draw(st.sampled_from([p for p in FORMATTED if _exists(raw, p)]))
        set_at(raw, path, draw(unicode_text))
        return env, raw, f"{kind} at {describe(path)}"
    # json text: Pulumi hands structured values to programs as JSON text; break that text.
    key = draw(st.sampled_from([k for k, v in raw.items() if isinstance(v, dict | list)]))
    text = json.dumps(raw[key])
    cut = draw(st.integers(min_value=1, max_value=len(text) - 1))
    raw[key] = draw(st.sampled_from([text[:cut], "[" * 5000 + "]" * 5000, "{" + text]))
    return env, raw, f"{kind} {key}"


def _exists(data: Any, path: Path_) -> bool:
    for part in path:
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and part < len(data)
        ):
            data = data[part]
        else:
            return False
    return True


@st.composite
def _inconsistent(draw: st.DrawFn, raw: dict[str, Any]) -> str:
    nodes_ = raw["landfall:cluster"]["nodes"]
    db = raw["landfall:database"]
    net = raw["landfall:network"]
    search = raw["landfall:search"]
    which = draw(st.integers(min_value=0, max_value=6))
    if which == 0:
        nodes_["maxSize"] = draw(st.integers(min_value=1, max_value=100))
        nodes_["minSize"] = draw(st.integers(min_value=nodes_["maxSize"] + 1, max_value=101))
        nodes_["desiredSize"] = nodes_["minSize"]
        return "nodes minSize > maxSize"
    if which == 1:
        nodes_["desiredSize"] = draw(st.integers(min_value=nodes_["maxSize"] + 1, max_value=100))
        return "nodes desiredSize > maxSize"
    if which == 2:
        db["allocatedStorageGb"] = draw(st.integers(min_value=21, max_value=65536))
        db["maxAllocatedStorageGb"] = draw(
            st.integers(min_value=20, max_value=db["allocatedStorageGb"] - 1)
        )
        return "maxAllocatedStorageGb < allocatedStorageGb"
    if which == 3:
        net["availabilityZones"] = draw(st.integers(min_value=1, max_value=2))
        return "fewer than 3 AZs"
    if which == 4:
        count = draw(st.integers(min_value=1, max_value=6).filter(lambda n: n != 3))
        net["availabilityZoneNames"] = [f"eu-west-2{c}" for c in "abcdef"[:count]]
        return "availabilityZoneNames count differs from availabilityZones"
    if which == 5:
        search["zoneAwareness"] = True
        search["instanceCount"] = draw(st.sampled_from([1, 5, 7, 11, 13]))
        return "zone awareness with an uneven data-node count"
    prefix = draw(st.integers(min_value=21, max_value=28))
    base = ipaddress.IPv4Network(net["vpcCidr"])
    net["vpcCidr"] = str(ipaddress.IPv4Network(f"{base.network_address}/{prefix}", strict=False))
    return f"VPC /{prefix} too small for the subnet plan"


@st.composite
def any_mutation(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A random edit of a real config: may well be valid."""
    env = draw(st.sampled_from(ENVS))
    raw = copy.deepcopy(BASE[env])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p, _ in nodes(raw)]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace" and paths:
            set_at(raw, draw(st.sampled_from(paths)), draw(json_values))
        elif action == "delete" and paths:
            delete_at(raw, draw(st.sampled_from(paths)))
        else:
            raw[f"landfall:{draw(st.text(max_size=15))}"] = draw(json_values)
    return env, raw


# --- the clear-message contract -----------------------------------------------------------------


def assert_clear(error: ConfigError, source: str) -> None:
    assert error.problems, "a ConfigError names at least one problem"
    text = error.render()
    assert text.startswith(f"Invalid environment configuration in {source}")
    assert text.endswith("Nothing was created.")
    assert "Traceback" not in text
    for p in error.problems:
        assert p.key.strip() and p.problem.strip() and p.fix.strip(), p
        assert p.key.startswith(("landfall:", "environment", "Pulumi.", "stack")), p.key
        assert len(p.key) <= 200 and len(p.problem) <= 200, "huge values are shortened"


def expect_config_error(env: str, raw: dict[str, Any], what: str) -> ConfigError:
    try:
        load_environment(env, raw, source=f"Pulumi.{env}.yaml")
    except ConfigError as exc:
        assert_clear(exc, f"Pulumi.{env}.yaml")
        return exc
    raise AssertionError(f"accepted a broken config ({what})")


# --- the properties -----------------------------------------------------------------------------


def test_the_base_configs_are_valid():
    for env in ENVS:
        assert isinstance(load_environment(env, copy.deepcopy(BASE[env])), EnvironmentConfig)


@FUZZ
@given(broken_configs())
def test_broken_configs_end_in_config_error(case: tuple[str, dict[str, Any], str]):
    env, raw, what = case
    RUNS["broken"] += 1
    expect_config_error(env, raw, what)


@FUZZ
@given(broken_configs())
def test_broken_configs_as_pulumi_json_text_end_in_config_error(case):
    """The same, with structured values as the JSON text Pulumi hands to programs."""
    env, raw, what = case
    RUNS["broken as JSON text"] += 1
    as_text = {
        k: v if isinstance(v, str) else json.dumps(v, allow_nan=True) for k, v in raw.items()
    }
    expect_config_error(env, as_text, what)


@FUZZ
@given(any_mutation())
def test_any_mutation_is_valid_or_config_error(case: tuple[str, dict[str, Any]]):
    env, raw = case
    RUNS["any mutation"] += 1
    try:
        cfg = load_environment(env, raw, source=f"Pulumi.{env}.yaml")
    except ConfigError as exc:
        assert_clear(exc, f"Pulumi.{env}.yaml")
    else:
        assert isinstance(cfg, EnvironmentConfig)


def read_bytes(content: bytes) -> ConfigError:
    """``read_config_file`` then ``load_environment`` on a file holding ``content``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Pulumi.test.yaml"
        path.write_bytes(content)
        try:
            load_environment("test", read_config_file(path), source=str(path))
        except ConfigError as exc:
            assert_clear(exc, str(path))
            return exc
    raise AssertionError(f"accepted {content[:80]!r}")


not_mappings = st.one_of(
    scalars.filter(lambda v: v is not None), st.lists(json_values, min_size=1, max_size=4)
)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda s: s.encode("utf-8")),
        not_mappings.map(lambda v: yaml.safe_dump(v).encode()),
        not_mappings.map(lambda v: yaml.safe_dump({"config": v}).encode()),
        st.sampled_from(["", " ", "\n\n", "# only a comment\n", "---\n", "...\n", "~\n"]).map(
            str.encode
        ),
    )
)
def test_files_that_are_not_configs_end_in_config_error(content: bytes):
    RUNS["files not configs"] += 1
    read_bytes(content)


@FUZZ
@given(broken_configs(), st.sampled_from(["utf-8", "utf-8-sig"]))
def test_broken_config_files_end_in_config_error(case, encoding: str):
    env, raw, what = case
    RUNS["broken files"] += 1
    text = yaml.safe_dump({"config": raw}, allow_unicode=True, sort_keys=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"Pulumi.{env}.yaml"
        path.write_bytes(text.encode(encoding))
        try:
            load_environment(env, read_config_file(path), source=str(path))
        except ConfigError as exc:
            assert_clear(exc, str(path))
        else:
            raise AssertionError(f"accepted a broken config file ({what})")


@settings(FUZZ, max_examples=max(10, EXAMPLES // 5))
@given(broken_configs())
def test_the_harness_declares_nothing_for_broken_configs(case):
    """plan_environment raises the ConfigError before any layer (so any resource) runs."""
    env, raw, what = case
    RUNS["harness"] += 1
    layers_run: list[str] = []

    def spy(env_: str, layer: str, *args: Any, **kwargs: Any) -> Any:
        layers_run.append(layer)
        raise AssertionError(f"layer {layer} ran for a broken config ({what})")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "run_layer", spy)
        with pytest.raises(ConfigError) as info:
            plan_environment(env, raw_config=raw)
    assert_clear(info.value, f"Pulumi.{env}.yaml")
    assert layers_run == []


# --- regressions: inputs that used to crash or be accepted ---------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("config:\n  landfall:environment: test\n".encode("utf-16"), id="utf-16"),
        pytest.param(b"\xff\xfe\x00bad", id="not-utf-8"),
        pytest.param(b"config: " + b"[" * 5000 + b"]" * 5000, id="yaml-nested-5000-deep"),
    ],
)
def test_unreadable_files_are_config_errors(content: bytes):
    """These used to escape as UnicodeDecodeError and RecursionError."""
    error = read_bytes(content)
    assert error.problems[0].key == "Pulumi.test.yaml"


def test_a_directory_is_a_config_error(tmp_path: Path):
    """Used to escape as IsADirectoryError."""
    folder = tmp_path / "Pulumi.test.yaml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        read_config_file(folder)


def test_json_text_nested_too_deep_is_a_config_error():
    """Used to escape as RecursionError from json.loads."""
    raw = copy.deepcopy(BASE["test"])
    raw["landfall:network"] = "[" * 100_000 + "]" * 100_000
    error = expect_config_error("test", raw, "deep JSON")
    assert error.problems[0].key == "landfall:network"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("landfall:accountId",), "\uff11" * 12),
        (("landfall:accountId",), "111111111111\n"),
        (("landfall:region",), "eu-west-\u0662"),
        (("landfall:database", "engineVersion"), "\u0661\u0661.\u0664"),
        (("landfall:search", "engineVersion"), "OpenSearch_\u0662.\u0661\u0669"),
        (("landfall:gitops", "interval"), "\u0665m"),
        (("landfall:gitops", "interval"), ""),
        (("landfall:services", 0, "name"), "payments\n"),
        (("landfall:dns", "domain"), "test.landfall.example.com\n"),
        (("landfall:registry", "imageRepositories", 0), "a" * 257),
    ],
)
def test_unicode_digits_newlines_and_overlong_names_are_rejected(path: Path_, value: str):
    """These used to be accepted: re's \\d matches any script's digits, $ a trailing newline,
    and ECR names had no length limit (AWS allows 2 to 256 characters)."""
    raw = copy.deepcopy(BASE["test"])
    set_at(raw, path, value)
    error = expect_config_error("test", raw, f"{describe(path)}={value!r}")
    assert any(p.key.startswith(path[0]) for p in error.problems)


@pytest.mark.parametrize(
    "path",
    [("landfall:region",), ("landfall:cluster", "kubernetesVersion"), ("landfall:x" * 10_000,)],
)
def test_huge_values_give_short_messages(path: Path_):
    """A 100,000-character value used to be repeated whole in the message."""
    raw = copy.deepcopy(BASE["test"])
    set_at(raw, path, "9" * 100_000)
    error = expect_config_error("test", raw, "huge string")
    assert len(error.render()) < 1_000
