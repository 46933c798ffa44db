"""Reading a delegation the way DNS answers it: the parent's servers refer the child zone in
their AUTHORITY section (a referral), never in the answer."""

from __future__ import annotations

from typing import Any

import dns.message
import dns.name
import dns.query
import dns.resolver
import pytest

from landfall.ops.delegation import delegated, ns_record_text, parent_delegation

ZONE_NS = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk", "ns-3.awsdns-03.com", "ns-4.awsdns-04.net"]


class Record:
    """An NS rdata as dnspython returns it: the server's name in ``target``."""

    def __init__(self, value: str) -> None:
        self.target = dns.name.from_text(value)


class FakeResolver:
    """The recursive lookups: NS of the parent zones, A of their servers."""

    def __init__(self, zones: dict[str, list[str]]) -> None:
        self.zones = zones

    def resolve(self, name: Any, rdtype: str) -> list[Any]:
        text = str(name).rstrip(".")
        if rdtype == "A":
            return ["192.0.2.53"]
        if text in self.zones:
            return [Record(s) for s in self.zones[text]]
        raise dns.resolver.NoAnswer()


def referral(child: str, servers: list[str]) -> dns.message.Message:
    lines = "\n".join(f"{child}. 172800 IN NS {s}." for s in servers)
    return dns.message.from_text(
        f"id 1\nopcode QUERY\nrcode NOERROR\nflags QR\n;QUESTION\n{child}. IN NS\n"
        f";ANSWER\n;AUTHORITY\n{lines}\n;ADDITIONAL\n"
    )


@pytest.fixture
def parent_answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, dns.message.Message]:
    """What the parent's authoritative server answers, by queried name."""
    answers: dict[str, dns.message.Message] = {}

    def udp(query: dns.message.Message, where: str, timeout: float) -> dns.message.Message:
        assert where == "192.0.2.53" and timeout > 0
        name = query.question[0].name.to_text().rstrip(".")
        return answers.get(name) or dns.message.make_response(query)

    monkeypatch.setattr(dns.query, "udp", udp)
    return answers


def test_the_parents_referral_is_the_delegation(parent_answers) -> None:
    resolver = FakeResolver({"landfall.example.com": ["ns-9.awsdns-09.org"]})
    domain = "test.landfall.example.com"
    assert parent_delegation(domain, resolver) == set()  # not delegated yet
    parent_answers[domain] = referral(domain, ZONE_NS)
    assert parent_delegation(domain, resolver) == set(ZONE_NS)


def test_the_parent_is_the_closest_enclosing_zone(parent_answers) -> None:
    # a.b.example.com's parent b.example.com is not a zone of its own: example.com answers.
    resolver = FakeResolver({"example.com": ["a.iana-servers.net"]})
    parent_answers["a.b.example.com"] = referral("a.b.example.com", ZONE_NS[:2])
    assert parent_delegation("a.b.example.com", resolver) == set(ZONE_NS[:2])


def test_only_the_exact_name_servers_count() -> None:
    assert delegated(ZONE_NS, [s.upper() + "." for s in ZONE_NS])
    assert not delegated(ZONE_NS, ZONE_NS[:3])  # partial
    assert not delegated(ZONE_NS, [*ZONE_NS, "ns-old.awsdns-99.org"])  # an older zone's too
    assert not delegated([], [])


def test_the_printed_record_is_zone_file_form() -> None:
    text = ns_record_text("test.landfall.example.com", ZONE_NS)
    assert text.splitlines()[0] == "test.landfall.example.com. 3600 IN NS ns-1.awsdns-01.org."
    assert len(text.splitlines()) == 4
