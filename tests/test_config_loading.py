"""Reading the settings file safely and saying clearly what is wrong with it.

The guarded YAML loader (``landfall/config/load.py``): duplicate keys, alias bombs, oversized
files and lists, recursive aliases; and the messages: key paths as written, ranges, expected
types with examples, quoting advice for numbers YAML read from unquoted text, misspelt
namespaces, every problem at once, and no line longer than about 300 characters. Runs without
Pulumi: each case is a copy of ``Pulumi.test.yaml`` in a temporary project.
"""

from __future__ import annotations

import copy
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from project import PROJECT_ROOT

from landfall.config import (
    ConfigError,
    EnvironmentConfig,
    load_environment,
    load_environment_file,
    read_config_file,
)
from landfall.config.errors import MAX_LINE, Problem
from landfall.config.load import MAX_FILE_BYTES, MAX_LIST_ITEMS, MAX_NODES

BASE = (PROJECT_ROOT / "Pulumi.test.yaml").read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(PROJECT_ROOT / "services.yaml", tmp_path / "services.yaml")
    return tmp_path


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def write(project: Path, text: str) -> Path:
    path = project / "Pulumi.test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def loads(project: Path, text: str) -> EnvironmentConfig:
    write(project, text)
    return load_environment_file("test", project)


def refused(project: Path, text: str, within: float = 5.0) -> ConfigError:
    """The ConfigError of loading ``text`` as Pulumi.test.yaml, raised within ``within`` s."""
    path = write(project, text)
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_environment_file("test", project)
    elapsed = time.perf_counter() - started
    assert elapsed < within, f"took {elapsed:.1f}s"
    error = info.value
    assert error.source == str(path), "one source name: the file path as read"
    assert_short(error)
    return error


def assert_short(error: ConfigError) -> None:
    for p in error.problems:
        line = p.render()
        assert len(line) <= MAX_LINE, line
        assert "Fix: correct it." not in line and line.isprintable(), line
        assert p.key.strip() and p.problem.strip() and p.fix.strip(), p


def only(error: ConfigError) -> Problem:
    assert len(error.problems) == 1, error.render()
    return error.problems[0]


def by_key(error: ConfigError) -> dict[str, Problem]:
    return {p.key: p for p in error.problems}


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def error_of(env: str, raw: dict[str, Any]) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_environment(env, raw)
    return info.value


def raw_test() -> dict[str, Any]:
    return copy.deepcopy(read_config_file(PROJECT_ROOT / "Pulumi.test.yaml"))


# --- duplicate keys -------------------------------------------------------------------------------


def test_a_duplicate_top_level_key_is_refused_with_both_lines(project: Path):
    text = edit(
        "  landfall:region: eu-west-2\n",
        "  landfall:region: eu-west-2\n  landfall:region: eu-west-1\n",
    )
    problem = only(refused(project, text))
    first = line_of(text, "landfall:region")
    assert problem.key == "landfall:region"
    assert f"lines {first} and {first + 1}" in problem.problem
    assert problem.fix == "keep one"


def test_a_duplicate_nested_key_names_its_path(project: Path):
    text = edit("      minSize: 1\n", "      minSize: 1\n      minSize: 2\n")
    problem = only(refused(project, text))
    assert problem.key == "landfall:cluster.nodes.minSize"
    first, second = line_of(text, "minSize"), line_of(text, "minSize", 2)
    assert f"lines {first} and {second}" in problem.problem
    assert problem.fix == "keep one"


def test_duplicates_in_flow_mappings_and_lists_are_each_reported(project: Path):
    row = "      - {permissionSet: ReadOnly, kubernetesGroup: viewers, access: view}\n"
    text = edit(row, row + "      - {permissionSet: a, permissionSet: b}\n")
    text = edit("    branch: main\n", "    branch: main\n    branch: dev\n", text)
    found = by_key(refused(project, text))
    duplicate = "landfall:cluster.ssoMappings[3].permissionSet"
    assert set(found) == {duplicate, "landfall:gitops.branch"}
    assert "given twice" in found[duplicate].problem


def test_a_duplicate_config_section_is_refused(project: Path):
    problem = only(refused(project, BASE + "config:\n  landfall:region: us-east-1\n"))
    assert problem.key == "Pulumi.test.yaml: config" and "given twice" in problem.problem


# --- aliases --------------------------------------------------------------------------------------


def laughs(levels: int = 10, fanout: int = 10) -> str:
    """A "billion laughs" mapping: each level lists the previous one ``fanout`` times."""
    lines = ["    l0: &l0 [" + ", ".join(["lol"] * fanout) + "]"]
    for i in range(1, levels):
        lines.append(f"    l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fanout) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_fails_fast_naming_its_setting(project: Path):
    text = edit("  landfall:tags:\n", "  landfall:tags:\n" + laughs())
    problem = only(refused(project, text, within=2.0))
    assert problem.key == "landfall:tags"
    assert "YAML aliases" in problem.problem and f"{MAX_NODES:,}" in problem.problem


def test_an_alias_bomb_under_another_namespace_fails_too(project: Path):
    text = BASE + "  other:bomb:\n" + laughs(levels=12, fanout=8)
    problem = only(refused(project, text, within=2.0))
    assert problem.key == "other:bomb" and "alias bomb" in problem.problem


def test_an_alias_to_itself_is_refused(project: Path):
    text = edit(
        "    endpointPublicAccessCidrs: [203.0.113.0/24]   # office VPN egress\n",
        "    endpointPublicAccessCidrs: &s [*s]\n",
    )
    problem = only(refused(project, text, within=2.0))
    assert problem.key.startswith("landfall:cluster.endpointPublicAccessCidrs")
    assert "alias to itself" in problem.problem


def test_ordinary_aliases_still_load(project: Path):
    text = edit(
        "    Owner: platform-team\n", '    Owner: platform-team\n    Kubernetes: &k8s "1.35"\n'
    )
    text = edit('kubernetesVersion: "1.35"', "kubernetesVersion: *k8s", text)
    cfg = loads(project, text)
    assert cfg.tags["Kubernetes"] == "1.35"
    assert cfg.cluster is not None and cfg.cluster.kubernetes_version == "1.35"


# --- sizes ----------------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_without_reading_it_all(project: Path):
    text = BASE + "# " + "x" * (3 * MAX_FILE_BYTES) + "\n"
    problem = only(refused(project, text, within=2.0))
    assert problem.key == "Pulumi.test.yaml"
    assert f"is {len(text.encode()):,} bytes" in problem.problem
    assert f"at most {MAX_FILE_BYTES:,} bytes" in problem.problem


def test_a_file_of_exactly_the_limit_loads(project: Path):
    padding = MAX_FILE_BYTES - len(BASE.encode()) - 3
    text = BASE + "#" + "x" * padding + "\n"
    assert len(text.encode()) == MAX_FILE_BYTES - 1
    assert loads(project, text).environment == "test"


def test_two_hundred_thousand_list_items_in_the_file_fail_fast(project: Path):
    many = "[" + ", ".join(["s"] * 200_000) + "]"  # compact, so it is within the file size limit
    text = edit(
        "    endpointPublicAccessCidrs: [203.0.113.0/24]   # office VPN egress\n",
        f"    endpointPublicAccessCidrs: {many}\n",
    )
    assert len(text.encode()) < MAX_FILE_BYTES
    problem = only(refused(project, text, within=2.0))
    assert problem.key == "landfall:cluster.endpointPublicAccessCidrs"
    assert f"more than {MAX_LIST_ITEMS:,} items" in problem.problem
    assert f"line {line_of(text, 'endpointPublicAccessCidrs')}" in problem.problem


def test_two_hundred_thousand_services_as_settings_fail_fast():
    raw = raw_test()
    raw["landfall:services"] = [{"name": f"service-{i}"} for i in range(200_000)]
    started = time.perf_counter()
    with pytest.raises(ConfigError) as info:
        load_environment("test", raw)
    assert time.perf_counter() - started < 2.0
    problem = only(info.value)
    assert problem.key == "landfall:services" and "200,000 items" in problem.problem


def test_a_long_list_as_pulumi_json_text_names_its_key():
    raw = raw_test()
    raw["landfall:cluster"] = json.dumps(
        {**raw["landfall:cluster"], "ssoMappings": [{"permissionSet": "x"}] * 5_000}
    )
    problem = only(error_of("test", raw))
    assert problem.key == "landfall:cluster.ssoMappings" and "5,000 items" in problem.problem


def test_any_long_list_in_the_file_is_refused_but_the_limit_itself_is_fine(project: Path):
    at_limit = BASE + "  other:list: [" + ", ".join(["x"] * MAX_LIST_ITEMS) + "]\n"
    assert len(read_config_file(write(project, at_limit))["other:list"]) == MAX_LIST_ITEMS
    over = BASE + "  other:list: [" + ", ".join(["x"] * (MAX_LIST_ITEMS + 1)) + "]\n"
    with pytest.raises(ConfigError) as info:
        read_config_file(write(project, over))
    assert only(info.value).key == "other:list"


def test_too_many_values_fail_fast(project: Path):
    rows = "".join(f"    k{i}: v\n" for i in range(MAX_NODES // 2 + 10))
    text = edit("  landfall:tags:\n", "  landfall:tags:\n" + rows)
    problem = only(refused(project, text, within=10.0))  # about 1 s with libyaml
    assert problem.key == "landfall:tags" and f"more than {MAX_NODES:,} values" in problem.problem


def test_deep_nesting_as_settings_is_refused():
    raw = raw_test()
    deep: Any = "x"
    for _ in range(100):
        deep = {"a": deep}
    raw["landfall:tags"] = deep
    problem = only(error_of("test", raw))
    assert problem.key.startswith("landfall:tags.a.a") and "levels deep" in problem.problem


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"- a\n- list\n", "not a YAML mapping"),
        (b"config: " + b"[" * 5000 + b"]" * 5000, "too deeply"),
        (b"config:\n  landfall:region: [unclosed\n", "not valid YAML at line"),
        (b"config:\n  landfall:region: *nowhere\n", "not valid YAML at line 2"),
    ],
)
def test_unreadable_files_keep_their_problems(project: Path, content: bytes, complaint: str):
    path = project / "Pulumi.test.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        read_config_file(path)
    problem = only(info.value)
    assert problem.key == "Pulumi.test.yaml" and complaint in problem.problem
    assert info.value.source == str(path)


def test_a_directory_cannot_be_read(project: Path):
    (project / "Pulumi.test.yaml").mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        read_config_file(project / "Pulumi.test.yaml")


# --- numbers YAML read from unquoted text ---------------------------------------------------------


def test_an_unquoted_kubernetes_version_gets_quoting_advice(project: Path):
    problem = only(refused(project, edit('kubernetesVersion: "1.35"', "kubernetesVersion: 1.30")))
    assert problem.key == "landfall:cluster.kubernetesVersion"
    assert "read as the number 1.3" in problem.problem
    assert problem.fix == 'quote it: kubernetesVersion: "1.30"'


def test_an_unquoted_engine_version_gets_quoting_advice(project: Path):
    problem = only(refused(project, edit('engineVersion: "11.4"', "engineVersion: 10.10")))
    assert problem.key == "landfall:database.engineVersion"
    assert "number 10.1" in problem.problem and '"10.10"' in problem.fix


@pytest.mark.parametrize(
    ("written", "read_as"),
    [("012345670123", "1402433619"), ("111111111111", "111111111111"), ("0x1F", "31")],
)
def test_an_unquoted_account_id_gets_quoting_advice(project: Path, written: str, read_as: str):
    text = edit('landfall:accountId: "111111111111"', f"landfall:accountId: {written}")
    problem = only(refused(project, text))
    assert problem.key == "landfall:accountId"
    assert f"read as the number {read_as}" in problem.problem and "12 digits" in problem.problem
    assert problem.fix == f'quote it: accountId: "{written}"'


def test_an_unquoted_account_id_that_yaml_1_1_reads_as_text_still_needs_quotes(project: Path):
    """PyYAML reads 012345678901 as text (8 and 9 are no octal digits), Pulumi's YAML 1.2
    parser as the number 12345678901: the deploy would see another account than the plan."""
    text = edit('landfall:accountId: "111111111111"', "landfall:accountId: 012345678901")
    problem = only(refused(project, text))
    assert problem.key == "landfall:accountId"
    assert "without quotes" in problem.problem and "12345678901," in problem.problem
    assert problem.fix == 'quote it: accountId: "012345678901"'
    quoted = edit('landfall:accountId: "111111111111"', 'landfall:accountId: "012345678901"')
    assert loads(project, quoted).account_id == "012345678901"


def test_an_unquoted_boolean_word_gets_quoting_advice(project: Path):
    problem = only(refused(project, edit("Owner: platform-team", "Owner: no")))
    assert problem.key == "landfall:tags.Owner"
    assert "boolean false" in problem.problem and "quote" in problem.fix


# --- what each message says -----------------------------------------------------------------------


def test_a_pattern_message_keeps_the_letter_case(project: Path):
    text = edit("engineVersion: OpenSearch_2.19", "engineVersion: opensearch_2.19")
    problem = only(refused(project, text))
    assert problem.key == "landfall:search.engineVersion"
    assert "'opensearch_2.19'" in problem.problem and "OpenSearch_" in problem.problem
    assert "OpenSearch_2.19" in problem.fix and "letter case" in problem.fix


@pytest.mark.parametrize(
    ("old", "new", "key", "allowed"),
    [
        (
            "backupRetentionDays: 3",
            "backupRetentionDays: 90",
            "database.backupRetentionDays",
            "1 to 35",
        ),
        ("minSize: 1", "minSize: -1", "cluster.nodes.minSize", "0 to 100"),
        ("keepLastImages: 20", "keepLastImages: 0", "registry.keepLastImages", "1 to 1000"),
        ("volumeSizeGb: 20", "volumeSizeGb: 5", "search.volumeSizeGb", "10 to 16384"),
    ],
)
def test_a_range_message_gives_the_range(project: Path, old: str, new: str, key: str, allowed: str):
    problem = only(refused(project, edit(old, new)))
    assert problem.key == f"landfall:{key}"
    assert allowed in problem.problem and allowed in problem.fix


def test_a_list_too_short_gives_the_length_and_an_example(project: Path):
    text = edit("[m6i.large, m6a.large, m5.large, m5a.large]", "[]")
    problem = only(refused(project, text))
    assert problem.key == "landfall:cluster.nodes.instanceTypes"
    assert "has 0 items" in problem.problem and "at least 1" in problem.fix


def test_type_errors_name_the_expected_type_with_an_example(project: Path):
    text = edit("instanceCount: 1", "instanceCount: three")
    text = edit("multiAz: false", "multiAz: maybe", text)
    text = edit(
        "interfaceEndpoints: [ecr.api, ecr.dkr, sts, ssm, ssmmessages, ec2messages]",
        "interfaceEndpoints: logs",
        text,
    )
    text = edit(
        "  landfall:dns:\n    domain: test.landfall.example.com",
        "  landfall:dns: test.landfall.example.com",
        text,
    )
    found = by_key(refused(project, text))
    count = found["landfall:search.instanceCount"]
    assert "'three'" in count.problem and "whole number" in count.problem and "e.g." in count.fix
    assert "true or false" in found["landfall:database.multiAz"].fix
    assert "[logs]" in found["landfall:network.interfaceEndpoints"].fix
    dns = found["landfall:dns"]
    assert "must be a mapping" in dns.problem and "domain" in dns.fix


def test_a_literal_in_the_wrong_case_says_so(project: Path):
    problem = only(refused(project, edit("capacityType: SPOT", "capacityType: spot")))
    assert problem.key == "landfall:cluster.nodes.capacityType"
    assert "'ON_DEMAND' or 'SPOT'" in problem.fix and "letter case" in problem.fix


def test_a_missing_key_gets_an_example(project: Path):
    problem = only(refused(project, edit("    instanceClass: db.t4g.medium\n", "")))
    assert problem.key == "landfall:database.instanceClass"
    assert problem.fix == "add instanceClass, e.g. db.t4g.medium"


def test_list_indexes_are_shown_as_written(project: Path):
    text = edit("kubernetesGroup: developers", "kubernetesGroup: Developers")
    problem = only(refused(project, text))
    assert problem.key == "landfall:cluster.ssoMappings[1].kubernetesGroup"


# --- namespaces -----------------------------------------------------------------------------------


def test_a_misspelt_namespace_gets_a_did_you_mean(project: Path):
    text = edit("  landfall:loadBalancer:", "  landfal:loadBalancer:")
    problem = only(refused(project, text))
    assert problem.key == "landfal:loadBalancer"
    assert "'landfall:loadBalancer'" in problem.fix


def test_a_key_without_namespace_is_refused(project: Path):
    text = edit("  landfall:dns:", "  dns:")
    found = by_key(refused(project, text))
    assert "no namespace" in found["dns"].problem and found["dns"].fix == "write it as landfall:dns"
    assert "landfall:dns" in found  # and the section is missing, reported together


def test_settings_nested_under_the_namespace_are_explained():
    problem = only(error_of("test", {"landfall": {"environment": "test"}}))
    assert problem.key == "landfall" and "landfall:environment: test" in problem.fix


def test_a_capitalised_namespace_is_caught(project: Path):
    text = edit("  landfall:loadBalancer:", "  Landfall:loadBalancer:")
    assert only(refused(project, text)).key == "Landfall:loadBalancer"


def test_other_namespaces_are_ignored(project: Path):
    text = BASE + (
        "  aws:region: eu-west-2\n  pulumi:tags: {team: platform}\n"
        "  kubernetes:context: kind\n  random:seed: 3\n"
    )
    assert loads(project, text).region == "eu-west-2"


def test_only_misspelt_keys_do_not_add_a_misleading_problem():
    problem = only(error_of("test", {"landfal:environment": "test"}))
    assert problem.key == "landfal:environment" and "landfall:environment" in problem.fix


# --- all problems at once -------------------------------------------------------------------------


def test_a_basic_error_and_a_cross_field_error_are_reported_together(project: Path):
    text = edit("backupRetentionDays: 3", "backupRetentionDays: 0")
    text = edit(
        "  landfall:cluster:\n", "  landfall:cluster:\n    serviceCidr: 10.20.128.0/20\n", text
    )
    found = by_key(refused(project, text))
    assert set(found) == {"landfall:database.backupRetentionDays", "landfall:cluster.serviceCidr"}
    assert "overlaps" in found["landfall:cluster.serviceCidr"].problem


def test_a_missing_section_and_a_basic_error_are_reported_together(project: Path):
    text = edit("  landfall:dns:\n    domain: test.landfall.example.com\n", "")
    text = edit("minSize: 1", "minSize: many", text)
    assert set(by_key(refused(project, text))) == {
        "landfall:dns",
        "landfall:cluster.nodes.minSize",
    }


def test_cross_field_rules_say_nothing_about_an_invalid_section():
    raw = raw_test()
    raw["landfall:cluster"]["nodes"]["maxSize"] = 0  # a basic error, and min > max
    raw["landfall:search"]["zoneAwareness"] = True  # cross-field: 1 node cannot spread
    found = by_key(error_of("test", raw))
    assert set(found) == {"landfall:cluster.nodes.maxSize", "landfall:search.instanceCount"}


def test_a_wrong_environment_is_reported_with_basic_errors():
    raw = raw_test()
    raw["landfall:database"]["backupRetentionDays"] = 0
    found = by_key(error_of("prod", raw))
    assert set(found) == {"landfall:database.backupRetentionDays", "landfall:environment"}


# --- short, printable messages --------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(section: str, key: str | None, value: Any) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        if key is None:
            raw[section] = value
        else:
            raw[section][key] = value

    return mutate


@pytest.mark.parametrize(
    "mutate",
    [
        _set("landfall:region", None, "9" * 100_000),
        _set("landfall:accountId", None, "\x1b[31m" + "1" * 5_000),
        _set("landfall:database", "instanceClass", "db." + "x" * 50_000),
        _set("landfall:search", "engineVersion", "OpenSearch_" + "9" * 10_000),
        _set("landfall:cluster", "kubernetesVersion", "1." + "3" * 10_000),
        _set("landfall:" + "x" * 10_000, None, 1),
        _set("landfall:tags", None, {"k" * 5_000: ["v"] * 500}),
        _set("landfall:network", "natGateways", "per-az\n" * 1_000),
        _set("landfall:services", None, [{"name": "n" * 1_000, "nmae": "y" * 1_000}]),
        _set("landfal:" + "x" * 5_000, None, 1),
        _set("landfall:network", None, [1.5] * 999),
    ],
)
def test_every_message_is_short_and_printable(mutate: Mutation):
    raw = raw_test()
    mutate(raw)
    error = error_of("test", raw)
    assert_short(error)
    assert len(error.render()) < 2_000


def test_clipped_values_say_how_long_they_were():
    raw = raw_test()
    raw["landfall:region"] = "9" * 100_000
    problem = only(error_of("test", raw))
    assert "(100000 characters)" in problem.problem and "AWS region" in problem.problem


def test_problems_are_shortened_safely():
    short = Problem("k" * 500, "p\n" * 500, "f" * 500).shortened()
    assert len(short.render()) <= MAX_LINE and short.render().isprintable()
    assert short.key.endswith("(500 characters)")
    assert short.shortened() == short  # idempotent
    # Any ConfigError, from whichever module, is at least printable and bounded.
    (guarded,) = ConfigError("x", [Problem("a\x1b[31m", "b" * 10_000, "c")]).problems
    assert guarded.render().isprintable() and len(guarded.problem) < 10_000
