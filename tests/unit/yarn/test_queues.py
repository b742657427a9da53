"""capacity-scheduler properties → queue tree, with Hadoop's errors."""

from __future__ import annotations

from pathlib import PurePath

import pytest

from emr.nodes.hadoop_conf import NodeFacts, default_properties
from emr.yarn.queues import (
    CapacitySchedulerConfig,
    CapacitySchedulerConfigError,
    QueueState,
    emr_default_properties,
)
from emr.yarn.resources import DOMINANT_RESOURCE_CALCULATOR

P = "yarn.scheduler.capacity."


def parse(props: dict[str, str]) -> CapacitySchedulerConfig:
    return CapacitySchedulerConfig.from_properties(props)


def test_emr_default_is_one_queue() -> None:
    config = parse(emr_default_properties())
    assert [q.path for q in config.leaves()] == ["root.default"]
    default = config.queues["root.default"]
    assert default.absolute_capacity == 1.0
    assert default.maximum_am_resource_percent == 0.5
    assert default.user_limit_factor == 1.0
    assert default.minimum_user_limit_percent == 100
    assert default.state is QueueState.RUNNING
    assert default.maximum_applications == 10000
    assert config.node_locality_delay == 40
    assert config.find("default") is default


def test_hierarchy_absolutes_and_inheritance() -> None:
    config = parse(
        {
            P + "root.queues": "prod,dev",
            P + "root.prod.capacity": "70",
            P + "root.dev.capacity": "30",
            P + "root.dev.maximum-capacity": "50",
            P + "root.dev.queues": "eng,qa",
            P + "root.dev.eng.capacity": "60",
            P + "root.dev.qa.capacity": "40",
            P + "root.dev.qa.user-limit-factor": "2",
            P + "root.dev.qa.minimum-user-limit-percent": "25",
            P + "root.dev.qa.maximum-am-resource-percent": "0.3",
            P + "root.dev.state": "STOPPED",
            P + "root.dev.accessible-node-labels": "CORE",
            P + "maximum-am-resource-percent": "0.2",
            P + "node-locality-delay": "-1",
            P + "resource-calculator": DOMINANT_RESOURCE_CALCULATOR.class_name,
        }
    )
    qa = config.queues["root.dev.qa"]
    assert qa.absolute_capacity == pytest.approx(0.12)
    assert qa.absolute_maximum_capacity == pytest.approx(0.5)
    assert qa.user_limit_factor == 2.0
    assert qa.minimum_user_limit_percent == 25
    assert qa.maximum_am_resource_percent == 0.3
    assert config.queues["root.dev.eng"].maximum_am_resource_percent == 0.2
    assert qa.state is QueueState.STOPPED  # its parent is
    assert qa.accessible_node_labels == frozenset({"CORE"})
    assert config.queues["root.prod"].accessible_node_labels == frozenset({"*"})
    assert not config.queues["root.dev"].is_leaf
    assert config.find("qa") is qa
    assert config.node_locality_delay == -1
    assert config.calculator is DOMINANT_RESOURCE_CALCULATOR


def test_node_label_capacities() -> None:
    config = parse(
        {
            P + "root.queues": "a,b",
            P + "root.a.capacity": "50",
            P + "root.b.capacity": "50",
            P + "root.a.accessible-node-labels.CORE.capacity": "30",
            P + "root.b.accessible-node-labels.CORE.capacity": "70",
            P + "root.b.accessible-node-labels.CORE.maximum-capacity": "80",
        }
    )
    core = config.queues["root.b"].label_capacities["CORE"]
    assert (core.capacity, core.maximum_capacity) == (70.0, 80.0)
    assert core.absolute_capacity == pytest.approx(0.7)


def test_the_clusters_generated_capacity_scheduler_parses() -> None:
    """What nodes/hadoop_conf writes to capacity-scheduler.xml is a valid one-queue tree."""
    facts = NodeFacts(
        master_ip="127.16.0.2",
        node_ip="127.16.0.3",
        core_nodes=2,
        yarn_memory_mb=3072,
        vcores=4,
        node_dir=PurePath("/tmp/node"),
    )
    config = parse(default_properties(facts)["capacity-scheduler"])
    assert [q.path for q in config.leaves()] == ["root.default"]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {P + "root.queues": "a,b", P + "root.a.capacity": "60", P + "root.b.capacity": "50"},
            "Illegal capacity of 1.1 for children of queue root",
        ),
        (
            {P + "root.queues": "a,b", P + "root.a.capacity": "60"},
            "Illegal capacity of -1.0 for queue root.b",
        ),
        (
            {P + "root.queues": "a", P + "root.a.capacity": "120"},
            "Illegal capacity of 120.0 for queue root.a",
        ),
        (
            {
                P + "root.queues": "a",
                P + "root.a.capacity": "100",
                P + "root.a.maximum-capacity": "150",
            },
            "Illegal value  of maximumCapacity 1.5 used in call to setMaxCapacity for queue a",
        ),
        (
            {
                P + "root.queues": "a,b",
                P + "root.a.capacity": "60",
                P + "root.b.capacity": "40",
                P + "root.a.maximum-capacity": "50",
            },
            "Illegal queue capacity setting, (capacity=0.6) > (maximum-capacity=0.5). "
            "When label=[]",
        ),
        (
            {
                P + "root.queues": "a,b",
                P + "root.a.capacity": "50",
                P + "root.b.capacity": "50",
                P + "root.a.queues": "x",
                P + "root.a.x.capacity": "100",
                P + "root.b.queues": "x",
                P + "root.b.x.capacity": "100",
            },
            "Two leaf queues were named x. Leaf queue names must be distinct",
        ),
        (
            {P + "root.queues": "a", P + "root.a.capacity": "100", P + "root.a.state": "PAUSED"},
            "No enum constant org.apache.hadoop.yarn.api.records.QueueState.PAUSED",
        ),
        (
            {
                P + "root.queues": "a,b",
                P + "root.a.capacity": "50",
                P + "root.b.capacity": "50",
                P + "root.a.accessible-node-labels.CORE.capacity": "40",
                P + "root.b.accessible-node-labels.CORE.capacity": "40",
            },
            "Illegal capacity of 0.8 for children of queue root for label=CORE",
        ),
        (
            {
                P + "root.queues": "a",
                P + "root.a.capacity": "100",
                P + "root.a.accessible-node-labels.CORE.capacity": "101",
            },
            "Illegal capacity of 101.0 for node-label=CORE in queue=root.a, valid capacity "
            "should in range of [0, 100].",
        ),
        (
            {P + "root.queues": "a", P + "root.a.capacity": "lots"},
            'For input string: "lots"',
        ),
    ],
)
def test_config_errors_use_hadoops_messages(props: dict[str, str], message: str) -> None:
    with pytest.raises(CapacitySchedulerConfigError) as raised:
        parse(props)
    assert str(raised.value) == message
