"""Is the environment's zone delegated? Asked of the parent zone's own name servers.

ACM validates the certificate through public DNS: until the parent zone names the new zone's
name servers, validation waits (up to 75 minutes) and then fails the network stack. Without
``dns.parentZoneId`` a person adds that NS record, and ``landfall up`` waits for it; ``doctor``
reports it. The parent's authoritative servers are asked directly (no recursion), so a resolver's
cached "no such name" from before the delegation does not delay the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.resolver

QUERY_TIMEOUT_SECONDS = 5.0

# What the checks need: the zone's own name servers (None when the zone does not exist yet) and
# the name servers the parent delegates the domain to (empty when it does not).
ZoneNameServers = Callable[[str], list[str] | None]
DelegatedNameServers = Callable[[str], set[str]]


def normalize(servers: Iterable[str]) -> set[str]:
    return {s.lower().rstrip(".") for s in servers}


def delegated(zone_servers: Iterable[str], parent_says: Iterable[str]) -> bool:
    """The parent delegates to exactly the zone's name servers (Route 53 gives each zone four;
    a stale or partial NS record from an older zone does not count)."""
    mine = normalize(zone_servers)
    return bool(mine) and normalize(parent_says) == mine


def ns_record_text(domain: str, servers: Iterable[str]) -> str:
    """The NS record to add in the parent zone, one line per server (zone-file form)."""
    return "\n".join(f"{domain}. 3600 IN NS {s.rstrip('.')}." for s in sorted(servers))


def parent_delegation(domain: str, resolver: Any = None) -> set[str]:
    """The name servers the parent zone of ``domain`` delegates it to (empty: not delegated).
    The parent is the closest enclosing zone that has NS records of its own."""
    resolver = resolver or dns.resolver.Resolver()
    name = dns.name.from_text(domain)
    parent = name.parent()
    while True:
        try:
            servers = [str(r.target) for r in resolver.resolve(parent, "NS")]
            break
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
            if parent == dns.name.root:
                return set()
            parent = parent.parent()
        except dns.exception.DNSException:
            return set()  # no resolver answers (offline): nothing confirms a delegation
    for server in servers:
        try:
            address = str(resolver.resolve(server, "A")[0])
            answer = dns.query.udp(
                dns.message.make_query(name, dns.rdatatype.NS),
                address,
                timeout=QUERY_TIMEOUT_SECONDS,
            )
        except (dns.exception.DNSException, OSError):
            continue  # ask the parent's next server
        found: set[str] = set()
        for rrset in (*answer.answer, *answer.authority):
            if rrset.name == name and rrset.rdtype == dns.rdatatype.NS:
                found |= {str(r.target) for r in rrset}
        return normalize(found)
    return set()


def zone_name_servers_from(route53: Any) -> ZoneNameServers:
    """Route 53's name servers of the public zone ``domain``, None if it does not exist yet."""

    def lookup(domain: str) -> list[str] | None:
        zones = route53.list_hosted_zones_by_name(DNSName=domain)["HostedZones"]
        for zone in zones:
            public = not zone.get("Config", {}).get("PrivateZone")
            if zone["Name"].rstrip(".") == domain and public:
                found = route53.get_hosted_zone(Id=zone["Id"])
                return list(found.get("DelegationSet", {}).get("NameServers", []))
        return None

    return lookup
