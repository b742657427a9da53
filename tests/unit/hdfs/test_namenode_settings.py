"""The NameNode's timing settings from Hadoop's hdfs-site keys."""

from __future__ import annotations

import pytest

from emr.hdfs.namenode.server import dead_node_timeout
from emr.hdfs.site import parse_group_mapping


@pytest.mark.parametrize(
    ("site", "seconds"),
    [
        ({}, None),  # the BlockManager's own default
        ({"dfs.namenode.heartbeat.recheck-interval": "2500", "dfs.heartbeat.interval": "1"}, 15.0),
        ({"dfs.heartbeat.interval": "3"}, 630.0),  # Hadoop's 10.5 minutes
        ({"dfs.namenode.heartbeat.recheck-interval": "1000"}, 32.0),
    ],
)
def test_dead_node_timeout_follows_hadoops_formula(
    site: dict[str, str], seconds: float | None
) -> None:
    assert dead_node_timeout(site) == seconds


def test_static_group_mapping_as_hadoop_writes_it() -> None:
    value = "dr.who=;hadoop=hadoop,hdfsadmingroup; hdfs = hdfs ;=x;junk"
    assert parse_group_mapping(value) == {
        "dr.who": frozenset(),
        "hadoop": frozenset({"hadoop", "hdfsadmingroup"}),
        "hdfs": frozenset({"hdfs"}),
    }
