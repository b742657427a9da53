"""The instance catalog: AWS's figures, EMR's YARN defaults, and this platform's scaling."""

from __future__ import annotations

import pytest

from emr.errors import ConfigurationError
from emr.services.emr.instance_types import (
    CATALOG,
    DEFAULT_MEMORY_SCALE,
    Architecture,
    UnsupportedInstanceType,
    emr_yarn_memory_mb,
    lookup,
    node_resources,
    supported_instance_types,
)


@pytest.mark.parametrize(
    ("name", "vcpus", "gib"),
    [
        ("m5.xlarge", 4, 16),
        ("m5.24xlarge", 96, 384),
        ("m4.10xlarge", 40, 160),
        ("c4.8xlarge", 36, 60),
        ("c5.9xlarge", 36, 72),
        ("r4.large", 2, 15.25),
        ("r5.2xlarge", 8, 64),
        ("m6g.16xlarge", 64, 256),
        ("m7i.48xlarge", 192, 768),
        ("c7g.xlarge", 4, 8),
        ("r7g.4xlarge", 16, 128),
        ("i3.metal", 72, 512),
        ("i4i.32xlarge", 128, 1024),
        ("g4dn.metal", 96, 384),
    ],
)
def test_catalog_has_aws_figures(name: str, vcpus: int, gib: float) -> None:
    itype = lookup(name)
    assert (itype.vcpus, itype.memory_gib) == (vcpus, gib)


def test_families_requested_are_covered() -> None:
    families = {t.family for t in CATALOG.values()}
    wanted = "m4 m5 m5a m5d m6g m6i m7g m7i c4 c5 c6g c6i c7g r4 r5 r5d r6g r6i r7g i3 i4i g4dn"
    assert set(wanted.split()) <= families


def test_family_generation_and_storage() -> None:
    m5d = lookup("m5d.4xlarge")
    assert (m5d.family, m5d.generation, m5d.size) == ("m5d", 5, "4xlarge")
    assert (m5d.disks, m5d.storage_gb, m5d.ebs_storage_only) == (2, 600, False)
    assert lookup("m5.xlarge").ebs_storage_only
    assert lookup("m7g.xlarge").architecture is Architecture.ARM64


def test_unknown_type_is_a_validation_error() -> None:
    with pytest.raises(UnsupportedInstanceType) as err:
        lookup("m5.huge")
    assert err.value.code == "ValidationException"
    assert "m5.huge" in err.value.message


# EMR's published yarn.nodemanager.resource.memory-mb defaults (Release Guide, task configuration).
PUBLISHED_YARN_MB = {
    "m4.large": 6144,
    "m4.xlarge": 12288,
    "m4.2xlarge": 24576,
    "m4.4xlarge": 57344,
    "m4.10xlarge": 155648,
    "m4.16xlarge": 253952,
    "c4.large": 1792,
    "c4.xlarge": 5632,
    "c4.2xlarge": 11520,
    "c4.4xlarge": 23040,
    "c4.8xlarge": 53248,
    "r4.xlarge": 23424,
    "r4.2xlarge": 54272,
    "r4.4xlarge": 116736,
    "r4.8xlarge": 241664,
    "r4.16xlarge": 491520,
    "i3.xlarge": 23424,
    "i3.2xlarge": 54272,
    "i3.16xlarge": 491520,
    "m5.xlarge": 12288,
}


@pytest.mark.parametrize(("name", "mb"), sorted(PUBLISHED_YARN_MB.items()))
def test_yarn_share_matches_emr_defaults(name: str, mb: int) -> None:
    assert emr_yarn_memory_mb(lookup(name)) == mb


def test_m5_xlarge_node_offers_4_gib_and_yarn_3() -> None:
    node = node_resources("m5.xlarge")
    assert node.memory_scale == DEFAULT_MEMORY_SCALE == 0.25
    assert (node.memory_mb, node.yarn_memory_mb, node.vcores) == (4096, 3072, 4)
    # 1 master + 2 core + 1 task fit a 24 GB laptop-class machine.
    assert 4 * node.memory_mb <= 16 * 1024


def test_scale_one_is_the_real_instance_and_bad_scales_refused() -> None:
    assert node_resources("m5.2xlarge", 1.0).yarn_memory_mb == 24576
    for scale in (0, -1, 1.5):
        with pytest.raises(ConfigurationError):
            node_resources("m5.xlarge", scale)


def test_every_type_leaves_yarn_less_than_the_node() -> None:
    for itype in CATALOG.values():
        node = node_resources(itype)
        assert 0 < node.yarn_memory_mb < node.memory_mb
        assert node.yarn_memory_mb % 32 == 0


def test_supported_instance_type_shape() -> None:
    entry = lookup("m5d.xlarge").to_supported_instance_type()
    assert entry == {
        "Type": "m5d.xlarge",
        "MemoryGB": 16,
        "StorageGB": 150,
        "VCPU": 4,
        "Is64BitsOnly": True,
        "InstanceFamilyId": "m5d",
        "EbsOptimizedAvailable": True,
        "EbsOptimizedByDefault": True,
        "NumberOfDisks": 1,
        "EbsStorageOnly": False,
        "Architecture": "x86_64",
    }
    listed = supported_instance_types()
    assert len(listed) == len(CATALOG)
    assert len({t.name for t in listed}) == len(listed)
