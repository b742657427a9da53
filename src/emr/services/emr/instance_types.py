"""The EC2 instance types a cluster may ask for, and what a node of each type offers here.

Why a catalog: RunJobFlow names instance types (`m5.xlarge`), and everything downstream sizes
itself from them — the node's memory budget, YARN's share of it, the vcores the scheduler hands
out, ListSupportedInstanceTypes. The numbers are AWS's own (vCPU, GiB, instance store), so a
user's capacity arithmetic carries over unchanged.

Why a memory scale: a laptop cannot give an m5.xlarge node 16 GiB. Each node's memory is the
type's memory x `memory_scale` (default 1/4): 1 master + 2 core + 1 task m5.xlarge then need
4 x 4 GiB = 16 GiB, which fits a 24 GB machine. vCPUs are not scaled: vcores are scheduling
units, CPU may be overcommitted (see the cluster contract in DESIGN.md).

YARN's share follows EMR's published `yarn.nodemanager.resource.memory-mb` defaults (the
"Task configuration" table of the EMR Release Guide), which all fit one rule of the OS reserve:
up to 8 GiB the OS keeps 2 GiB, up to 32 GiB it keeps a quarter, above that it keeps 8 GiB
(m5.xlarge: 16 GiB → 12288 MiB; m4.large: 8 GiB → 6144; r4.2xlarge: 61 GiB → 54272). That
figure is scaled like the node's memory: an m5.xlarge node offers 4096 MiB, YARN gets 3072.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from emr.errors import ConfigurationError, ServiceError

__all__ = [
    "CATALOG",
    "DEFAULT_MEMORY_SCALE",
    "Architecture",
    "InstanceCategory",
    "InstanceType",
    "NodeResources",
    "UnsupportedInstanceType",
    "emr_yarn_memory_mb",
    "lookup",
    "node_resources",
    "supported_instance_types",
]

#: Fraction of an instance type's memory a node gets on this platform (documented default).
DEFAULT_MEMORY_SCALE: Final = 0.25

#: YARN allocates memory in multiples of this (EMR's yarn.scheduler.minimum-allocation-mb).
_YARN_ALLOCATION_MB: Final = 32


class UnsupportedInstanceType(ServiceError):
    """The request names an instance type that is not in the catalog (EMR's wording)."""

    code = "ValidationException"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The requested instance type {name} is not supported in the requested Availability Zone."
        )
        self.instance_type = name


class Architecture(Enum):
    """CPU architecture, spelled as EC2 and ListSupportedInstanceTypes spell it."""

    X86_64 = "x86_64"
    ARM64 = "arm64"


class InstanceCategory(Enum):
    """EC2's instance classes (the headings of EMR's supported-instance-types table)."""

    GENERAL_PURPOSE = "General purpose"
    COMPUTE_OPTIMIZED = "Compute optimized"
    MEMORY_OPTIMIZED = "Memory optimized"
    STORAGE_OPTIMIZED = "Storage optimized"
    ACCELERATED_COMPUTING = "Accelerated computing"


@dataclass(frozen=True, slots=True)
class InstanceType:
    """One EC2 instance type with AWS's real figures."""

    name: str
    vcpus: int
    memory_gib: float
    #: Instance-store disks (NVMe/SSD); 0 for EBS-only types.
    disks: int = 0
    disk_size_gb: int = 0
    architecture: Architecture = Architecture.X86_64
    category: InstanceCategory = InstanceCategory.GENERAL_PURPOSE

    @property
    def family(self) -> str:
        """`m5d` for `m5d.xlarge`: EMR's InstanceFamilyId."""
        return self.name.split(".", 1)[0]

    @property
    def size(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def generation(self) -> int:
        """The digit after the class letters: 5 for m5d, 7 for m7i."""
        digits = "".join(ch for ch in self.family if ch.isdigit())
        return int(digits)

    @property
    def memory_mb(self) -> int:
        return round(self.memory_gib * 1024)

    @property
    def storage_gb(self) -> int:
        return self.disks * self.disk_size_gb

    @property
    def ebs_storage_only(self) -> bool:
        return self.disks == 0

    def to_supported_instance_type(self) -> dict[str, Any]:
        """The `SupportedInstanceType` shape of ListSupportedInstanceTypes."""
        return {
            "Type": self.name,
            "MemoryGB": self.memory_gib,
            "StorageGB": self.storage_gb,
            "VCPU": self.vcpus,
            "Is64BitsOnly": True,
            "InstanceFamilyId": self.family,
            # Every type in the catalog is EBS-optimized by default (Nitro, or m4/c4/r4/i3).
            "EbsOptimizedAvailable": True,
            "EbsOptimizedByDefault": True,
            "NumberOfDisks": self.disks,
            "EbsStorageOnly": self.ebs_storage_only,
            "Architecture": self.architecture.value,
        }


@dataclass(frozen=True, slots=True)
class NodeResources:
    """What one node of a given type offers on this platform, after scaling."""

    instance_type: str
    memory_scale: float
    #: The node's whole memory budget (its process tree is measured against it).
    memory_mb: int
    #: yarn.nodemanager.resource.memory-mb for this node.
    yarn_memory_mb: int
    #: yarn.nodemanager.resource.cpu-vcores: the type's vCPUs, unscaled.
    vcores: int


def emr_yarn_memory_mb(instance_type: InstanceType) -> int:
    """EMR's default yarn.nodemanager.resource.memory-mb for `instance_type` (unscaled)."""
    total = instance_type.memory_mb
    if total <= 8 * 1024:
        return total - 2048
    if total <= 32 * 1024:
        return total * 3 // 4
    return total - 8192


def node_resources(
    instance_type: InstanceType | str, memory_scale: float = DEFAULT_MEMORY_SCALE
) -> NodeResources:
    """Scale `instance_type` to a node of this platform (memory x scale, vcores = vCPUs)."""
    itype = lookup(instance_type) if isinstance(instance_type, str) else instance_type
    if not 0 < memory_scale <= 1:
        raise ConfigurationError(f"memory scale must be in (0, 1], got {memory_scale}")
    yarn = math.floor(emr_yarn_memory_mb(itype) * memory_scale)
    yarn -= yarn % _YARN_ALLOCATION_MB
    return NodeResources(
        instance_type=itype.name,
        memory_scale=memory_scale,
        memory_mb=math.floor(itype.memory_mb * memory_scale),
        yarn_memory_mb=yarn,
        vcores=itype.vcpus,
    )


# --- the catalog ------------------------------------------------------------------------------

_G = InstanceCategory.GENERAL_PURPOSE
_C = InstanceCategory.COMPUTE_OPTIMIZED
_R = InstanceCategory.MEMORY_OPTIMIZED
_S = InstanceCategory.STORAGE_OPTIMIZED
_A = InstanceCategory.ACCELERATED_COMPUTING
_ARM = Architecture.ARM64
_X86 = Architecture.X86_64

#: vCPUs of each standard size (Nitro families; older ones list their exceptions explicitly).
_VCPUS: Final = {
    "large": 2,
    "xlarge": 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "9xlarge": 36,
    "12xlarge": 48,
    "16xlarge": 64,
    "18xlarge": 72,
    "24xlarge": 96,
    "32xlarge": 128,
    "48xlarge": 192,
}


def _family(
    family: str,
    gib_per_vcpu: float,
    sizes: str,
    category: InstanceCategory,
    *,
    arch: Architecture = _X86,
    metal: dict[str, int] | None = None,
    disks: dict[str, tuple[int, int]] | None = None,
) -> Iterator[InstanceType]:
    """Types of a family whose memory is a fixed GiB-per-vCPU ratio (all Nitro families)."""
    sized = [(size, _VCPUS[size]) for size in sizes.split()]
    sized += list((metal or {}).items())
    for size, vcpus in sized:
        count, size_gb = (disks or {}).get(size, (0, 0))
        yield InstanceType(
            f"{family}.{size}",
            vcpus,
            vcpus * gib_per_vcpu,
            count,
            size_gb,
            arch,
            category,
        )


# m5d/r5d local NVMe: (disks, GB each) per size.
_M5D_DISKS: Final = {
    "large": (1, 75),
    "xlarge": (1, 150),
    "2xlarge": (1, 300),
    "4xlarge": (2, 300),
    "8xlarge": (2, 600),
    "12xlarge": (2, 900),
    "16xlarge": (4, 600),
    "24xlarge": (4, 900),
    "metal": (4, 900),
}
_I4I_DISKS: Final = {
    "large": (1, 468),
    "xlarge": (1, 937),
    "2xlarge": (1, 1875),
    "4xlarge": (1, 3750),
    "8xlarge": (2, 3750),
    "12xlarge": (3, 3750),
    "16xlarge": (4, 3750),
    "24xlarge": (6, 3750),
    "32xlarge": (8, 3750),
    "metal": (8, 3750),
}
_GRAVITON = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge"
_ICE_LAKE = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge 32xlarge"
_SKYLAKE = "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge"


def _build() -> dict[str, InstanceType]:
    types: list[InstanceType] = [
        # Previous-generation families whose figures follow no single ratio.
        InstanceType("m4.large", 2, 8, category=_G),
        InstanceType("m4.xlarge", 4, 16, category=_G),
        InstanceType("m4.2xlarge", 8, 32, category=_G),
        InstanceType("m4.4xlarge", 16, 64, category=_G),
        InstanceType("m4.10xlarge", 40, 160, category=_G),
        InstanceType("m4.16xlarge", 64, 256, category=_G),
        InstanceType("c4.large", 2, 3.75, category=_C),
        InstanceType("c4.xlarge", 4, 7.5, category=_C),
        InstanceType("c4.2xlarge", 8, 15, category=_C),
        InstanceType("c4.4xlarge", 16, 30, category=_C),
        InstanceType("c4.8xlarge", 36, 60, category=_C),
        InstanceType("r4.large", 2, 15.25, category=_R),
        InstanceType("r4.xlarge", 4, 30.5, category=_R),
        InstanceType("r4.2xlarge", 8, 61, category=_R),
        InstanceType("r4.4xlarge", 16, 122, category=_R),
        InstanceType("r4.8xlarge", 32, 244, category=_R),
        InstanceType("r4.16xlarge", 64, 488, category=_R),
        InstanceType("i3.large", 2, 15.25, 1, 475, category=_S),
        InstanceType("i3.xlarge", 4, 30.5, 1, 950, category=_S),
        InstanceType("i3.2xlarge", 8, 61, 1, 1900, category=_S),
        InstanceType("i3.4xlarge", 16, 122, 2, 1900, category=_S),
        InstanceType("i3.8xlarge", 32, 244, 4, 1900, category=_S),
        InstanceType("i3.16xlarge", 64, 488, 8, 1900, category=_S),
        InstanceType("i3.metal", 72, 512, 8, 1900, category=_S),
        InstanceType("g4dn.xlarge", 4, 16, 1, 125, category=_A),
        InstanceType("g4dn.2xlarge", 8, 32, 1, 225, category=_A),
        InstanceType("g4dn.4xlarge", 16, 64, 1, 225, category=_A),
        InstanceType("g4dn.8xlarge", 32, 128, 1, 900, category=_A),
        InstanceType("g4dn.12xlarge", 48, 192, 1, 900, category=_A),
        InstanceType("g4dn.16xlarge", 64, 256, 1, 900, category=_A),
        InstanceType("g4dn.metal", 96, 384, 2, 900, category=_A),
    ]
    types += _family("m5", 4, _SKYLAKE, _G, metal={"metal": 96})
    types += _family("m5a", 4, _SKYLAKE, _G)
    types += _family("m5d", 4, _SKYLAKE, _G, metal={"metal": 96}, disks=_M5D_DISKS)
    types += _family("m6g", 4, _GRAVITON, _G, arch=_ARM, metal={"metal": 64})
    types += _family("m6i", 4, _ICE_LAKE, _G, metal={"metal": 128})
    types += _family("m7g", 4, _GRAVITON, _G, arch=_ARM, metal={"metal": 64})
    types += _family(
        "m7i", 4, _SKYLAKE + " 48xlarge", _G, metal={"metal-24xl": 96, "metal-48xl": 192}
    )
    types += _family(
        "c5", 2, "large xlarge 2xlarge 4xlarge 9xlarge 12xlarge 18xlarge 24xlarge", _C,
        metal={"metal": 96},
    )  # fmt: skip
    types += _family("c6g", 2, _GRAVITON, _C, arch=_ARM, metal={"metal": 64})
    types += _family("c6i", 2, _ICE_LAKE, _C, metal={"metal": 128})
    types += _family("c7g", 2, _GRAVITON, _C, arch=_ARM, metal={"metal": 64})
    types += _family("r5", 8, _SKYLAKE, _R, metal={"metal": 96})
    types += _family("r5d", 8, _SKYLAKE, _R, metal={"metal": 96}, disks=_M5D_DISKS)
    types += _family("r6g", 8, _GRAVITON, _R, arch=_ARM, metal={"metal": 64})
    types += _family("r6i", 8, _ICE_LAKE, _R, metal={"metal": 128})
    types += _family("r7g", 8, _GRAVITON, _R, arch=_ARM, metal={"metal": 64})
    types += _family("i4i", 8, _ICE_LAKE, _S, metal={"metal": 128}, disks=_I4I_DISKS)
    return {t.name: t for t in types}


#: Every supported type by name.
CATALOG: Final[dict[str, InstanceType]] = _build()


def lookup(name: str) -> InstanceType:
    """The catalog entry for `name`; `UnsupportedInstanceType` if there is none."""
    try:
        return CATALOG[name]
    except KeyError:
        raise UnsupportedInstanceType(name) from None


def supported_instance_types() -> list[InstanceType]:
    """All types in a stable order (family, then size), as ListSupportedInstanceTypes pages them.

    Every release label gets the same list: this platform's node does not depend on the release.
    """
    return sorted(CATALOG.values(), key=lambda t: (t.family, t.vcpus, t.memory_gib, t.name))
