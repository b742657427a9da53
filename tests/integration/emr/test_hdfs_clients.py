"""Python clients of HDFS against the shared cluster's NameNode: fsspec `webhdfs` and pyarrow."""

from __future__ import annotations

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.integration.emr.conftest import SharedCluster

pytestmark = pytest.mark.integration


def test_fsspec_webhdfs_and_pyarrow_parquet(shared_cluster: SharedCluster) -> None:
    emr, cluster_id = shared_cluster.emr, shared_cluster.cluster_id
    master_ip = emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["MasterPublicDnsName"]
    fs = fsspec.filesystem(
        "webhdfs", host=master_ip, port=9870, user="hadoop", skip_instance_cache=True
    )
    data = bytes(range(256)) * 20_000  # 5 MiB, written in 1 MiB pieces (CREATE, then APPENDs)
    with fs.open("/user/hadoop/fsspec/data.bin", "wb", block_size=1 << 20) as file:
        file.write(data)
    assert fs.info("/user/hadoop/fsspec/data.bin")["size"] == len(data)
    with fs.open("/user/hadoop/fsspec/data.bin", "rb") as file:
        file.seek(3_000_001)
        assert file.read(1000) == data[3_000_001:3_001_001]
    table = pa.table({"key": list(range(1000)), "value": [f"v{i}" for i in range(1000)]})
    with fs.open("/user/hadoop/fsspec/table.parquet", "wb") as file:
        pq.write_table(table, file)
    assert pq.read_table("/user/hadoop/fsspec/table.parquet", filesystem=fs).equals(table)
    assert sorted(fs.ls("/user/hadoop/fsspec", detail=False)) == [
        "/user/hadoop/fsspec/data.bin", "/user/hadoop/fsspec/table.parquet"]  # fmt: skip
    fs.rm("/user/hadoop/fsspec", recursive=True)
    assert not fs.exists("/user/hadoop/fsspec")
