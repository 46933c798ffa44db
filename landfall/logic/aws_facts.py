"""What AWS accepts, read from the service models botocore ships: EC2 instance types, OpenSearch
instance types, regions and CloudWatch Logs retention periods, plus the pure reading of an
instance type's name (CPU architecture, accelerator, size).

The JSON files are read straight from the installed botocore package (``botocore/data``), found
with ``importlib.util.find_spec`` so botocore itself is never imported: loading the settings stays
cheap and ``landfall plan`` loads no AWS client code. Each file is read once, on first use, and
cached. botocore is a dependency (through boto3); a model that cannot be found or read fails
loudly (``MissingServiceModel``) rather than letting a check pass unchecked.
"""

from __future__ import annotations

import difflib
import gzip
import importlib.util
import json
import math
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any


class MissingServiceModel(RuntimeError):
    """botocore's data (a service model, a shape, endpoints.json) is not where it should be."""


@cache
def _data_dir() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None or not spec.submodule_search_locations:
        raise MissingServiceModel("botocore is not installed: reinstall landfall's dependencies")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    if not data.is_dir():
        raise MissingServiceModel(f"botocore has no data folder at {data}: reinstall botocore")
    return data


def _read_text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return handle.read()
    return path.read_text(encoding="utf-8")


def service_model_path(service: str) -> Path:
    """The newest API version's ``service-2.json`` (or ``.json.gz``) of ``service``."""
    folder = _data_dir() / service
    versions = (
        sorted((p for p in folder.iterdir() if p.is_dir()), reverse=True) if folder.is_dir() else []
    )
    for version in versions:
        for name in ("service-2.json", "service-2.json.gz"):
            if (version / name).is_file():
                return version / name
    raise MissingServiceModel(f"botocore has no {service} service model under {folder}")


@cache
def _shapes(service: str, names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Some shapes of a service model. The EC2 model is megabytes of JSON: decoding just the
    shapes wanted (found by their key) is several times faster than decoding it all."""
    text = _read_text(service_model_path(service))
    decoder = json.JSONDecoder()
    found: dict[str, dict[str, Any]] = {}
    for name in names:
        # Members named like the shape ({"shape": ...}) come first; the shape has a "type".
        for at in re.finditer(rf'"{re.escape(name)}"\s*:\s*\{{', text):
            try:
                value, _ = decoder.raw_decode(text, at.end() - 1)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and "type" in value:
                found[name] = value
                break
    if len(found) < len(names):  # not where expected: read the model the slow, sure way
        shapes = json.loads(text).get("shapes", {})
        found = {name: shapes[name] for name in names if name in shapes}
    return found


def _enum(service: str, shape: str) -> frozenset[str]:
    values = _shapes(service, (shape,)).get(shape, {}).get("enum")
    if not values:
        raise MissingServiceModel(f"botocore's {service} model has no enum shape {shape}")
    return frozenset(values)


@cache
def ec2_instance_types() -> frozenset[str]:
    """Every EC2 instance type (``shapes.InstanceType.enum`` of the ec2 model)."""
    return _enum("ec2", "InstanceType")


@cache
def opensearch_instance_types() -> frozenset[str]:
    """Every OpenSearch Service data/master node type (``OpenSearchPartitionInstanceType``)."""
    return _enum("opensearch", "OpenSearchPartitionInstanceType")


@cache
def eks_support_types() -> frozenset[str]:
    """The EKS upgrade-policy support types (``shapes.SupportType.enum`` of the eks model)."""
    return _enum("eks", "SupportType")


@cache
def aws_regions() -> dict[str, str]:
    """Every AWS region, mapped to its partition (``endpoints.json``: partitions -> regions)."""
    endpoints = json.loads(_read_text(_data_dir() / "endpoints.json"))
    regions = {
        region: partition["partition"]
        for partition in endpoints.get("partitions", [])
        for region in partition.get("regions", {})
    }
    if not regions:
        raise MissingServiceModel("botocore's endpoints.json lists no regions")
    return regions


@cache
def log_retention_days() -> tuple[int, ...]:
    """The retention periods CloudWatch Logs accepts, from the documentation of the logs model's
    ``Days`` shape (``PutRetentionPolicy.retentionInDays``)."""
    text = _shapes("logs", ("Days",)).get("Days", {}).get("documentation", "")
    found = re.search(r"Possible values are:([\d,\sand]+)", text)
    days = tuple(sorted({int(n) for n in re.findall(r"\d+", found[1])})) if found else ()
    if len(days) < 5:
        raise MissingServiceModel("botocore's logs model no longer lists the retention periods")
    return days


def nearest_retention(days: int) -> tuple[int, ...]:
    """The accepted retention periods just below and above ``days``."""
    valid = log_retention_days()
    below = [d for d in valid if d < days][-1:]
    above = [d for d in valid if d > days][:1]
    return tuple(below + above)


def did_you_mean(value: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The closest ``choices`` to ``value`` (at most ``n``), best first."""
    return difflib.get_close_matches(value, sorted(choices), n=n, cutoff=0.6)


# --- reading instance type names ----------------------------------------------------------------

# Family = letters, generation digits, attribute letters: m7g, c6gn, r6gd, t4g, im4gn, c7i-flex.
_FAMILY = re.compile(r"^[a-z]+\d+(?P<attributes>[a-z-]*)$")
# GPU (p*, g*, gr*), Inferentia, Trainium, Gaudi (dl*), FPGA (f*) and video (vt*) families.
_ACCELERATED = re.compile(r"^(?P<kind>p|g|gr|inf|trn|dl|f|vt)\d")
_ACCELERATOR_NAMES = {
    "p": "GPU (NVIDIA)",
    "g": "GPU",
    "gr": "GPU",
    "inf": "AWS Inferentia",
    "trn": "AWS Trainium",
    "dl": "deep-learning accelerator",
    "f": "FPGA",
    "vt": "video transcoding accelerator",
}
# Sizes below ``large``, by rank; ``large`` is 4, ``xlarge`` 5, ``<n>xlarge`` 5 + log2(n).
_SMALL_SIZES = {"nano": 0, "micro": 1, "small": 2, "medium": 3, "large": 4, "xlarge": 5}


def family(instance_type: str) -> str:
    return instance_type.split(".", 1)[0]


def size(instance_type: str) -> str:
    return instance_type.split(".", 1)[1] if "." in instance_type else ""


def is_graviton(instance_type: str) -> bool:
    """True for AWS Graviton (arm64) types: a ``g`` among the attributes after the generation
    digit (m7g, c6gn, r6gd, t4g, im4gn, g5g), unlike the GPU family letter of g5 or g4dn.
    ``landfall.logic.eks.ami_type`` picks the node groups' AMI type by it."""
    found = _FAMILY.match(family(instance_type))
    return bool(found and "g" in found["attributes"])


def architecture(instance_type: str) -> str:
    return "arm64" if is_graviton(instance_type) else "x86_64"


def accelerator(instance_type: str) -> str | None:
    """What accelerator an instance type carries (``"GPU"``, ``"AWS Inferentia"``...), or None."""
    found = _ACCELERATED.match(family(instance_type))
    return _ACCELERATOR_NAMES[found["kind"]] if found else None


def size_rank(instance_type: str) -> float | None:
    """A size's place on the doubling scale (large 4, xlarge 5, 2xlarge 6, 4xlarge 7, 3xlarge
    about 6.6), or None for ``metal`` (whose size depends on the family) and unknown sizes."""
    name = size(instance_type)
    if name in _SMALL_SIZES:
        return float(_SMALL_SIZES[name])
    found = re.fullmatch(r"(\d+)xlarge", name)
    if found and int(found[1]) > 0:
        return 5 + math.log2(int(found[1]))
    return None


@cache
def ec2_sizes() -> frozenset[str]:
    """Every size suffix of the EC2 instance types (``large``, ``2xlarge``, ``metal``...)."""
    return frozenset(size(t) for t in ec2_instance_types())
