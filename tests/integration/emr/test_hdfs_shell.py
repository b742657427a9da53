"""`hdfs dfs` / `hadoop fs` in a step on the shared cluster: HDFS through the node's own
conf dir, and copies between S3 and HDFS with the cluster's credentials."""

from __future__ import annotations

import gzip
import re
import uuid

import pytest

from tests.integration.emr.conftest import SharedCluster, command_step, wait_step

pytestmark = pytest.mark.integration


def test_fs_shell_in_a_step(shared_cluster: SharedCluster) -> None:
    emr, s3, cluster_id = shared_cluster.emr, shared_cluster.s3, shared_cluster.cluster_id
    bucket = f"shell-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    data = b"".join(b"line %d from s3\n" % n for n in range(20_000))  # ~330 KB
    s3.put_object(Bucket=bucket, Key="in/data.txt", Body=data)
    script = " && ".join(
        [
            "printf 'written on the master\\n' > local.txt",
            "hdfs dfs -mkdir -p shell-step",
            "hdfs dfs -put local.txt shell-step/",
            "hdfs dfs -ls shell-step",
            f"hadoop fs -cp s3://{bucket}/in/data.txt hdfs:///user/hadoop/shell-step/data.txt",
            f"hdfs dfs -cp hdfs:///user/hadoop/shell-step/data.txt s3://{bucket}/out/copy.txt",
            "hdfs dfs -cat shell-step/local.txt",
            "hdfs dfs -count shell-step",
        ]
    )
    step = command_step("hdfs shell", "bash", "-c", script)
    (step_id,) = emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step])["StepIds"]
    described = wait_step(emr, cluster_id, step_id)
    assert described["Status"]["State"] == "COMPLETED", described["Status"]

    key = f"logs/{cluster_id}/steps/{step_id}/stdout.gz"
    stdout = gzip.decompress(
        s3.get_object(Bucket=shared_cluster.log_bucket, Key=key)["Body"].read()
    )
    lines = stdout.decode().splitlines()
    assert lines[0] == "Found 1 items"
    assert re.fullmatch(
        r"-rw-r--r-- +\d+ hadoop hadoop +22 \d{4}-\d\d-\d\d \d\d:\d\d shell-step/local.txt",
        lines[1],
    ), lines[1]
    assert lines[2] == "written on the master"
    assert lines[3] == f"{1:>12} {2:>12} {len(data) + 22:>18} shell-step"
    assert s3.get_object(Bucket=bucket, Key="out/copy.txt")["Body"].read() == data
