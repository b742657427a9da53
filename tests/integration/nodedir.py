"""Node directories as the agent lays them out (agent.json, conf/*-site.xml), for tests that
start HDFS and YARN daemons by hand instead of through a cluster."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emr.nodes.hadoop_conf import render_site_xml

#: The cluster token of every hand-made node directory of a test run.
TOKEN = secrets.token_hex(16)


def agent_config(**values: Any) -> dict[str, Any]:
    """A test node's agent.json: a master on 127.0.0.1 unless `values` say otherwise."""
    return {
        "cluster_id": "j-TEST",
        "instance_id": "i-master",
        "role": "MASTER",
        "instance_type": "m5.xlarge",
        "private_ip": "127.0.0.1",
        "master_ip": "127.0.0.1",
        "nodes": {"i-master": ("MASTER", "127.0.0.1")},
        "region_url": "http://127.0.0.1:1",
        "region_name": "us-east-1",
        "token": TOKEN,
        "access_key_id": "AKIA",
        "secret_access_key": "secret",
        "release_label": "emr-7.0.0",
        "applications": ["Hadoop"],
        "configurations": [],
        "memory_mb": 1024,
        "yarn_memory_mb": 512,
        "vcores": 1,
        **values,
    }


def write_node_dir(
    root: Path, config: Mapping[str, Any], sites: Mapping[str, Mapping[str, str]]
) -> Path:
    """`root` with conf/, data/, logs/, agent.json and conf/<file> for each of `sites`."""
    for name in ("conf", "data", "logs"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "agent.json").write_text(json.dumps(config))
    for file_name, properties in sites.items():
        (root / "conf" / file_name).write_text(render_site_xml(properties))
    return root
