"""Hadoop Streaming jobs on the shared cluster, end to end: `hadoop-streaming` and `hadoop jar
…hadoop-streaming.jar` in steps on the master, `aws emr add-steps Type=STREAMING`, and an mrjob
job run with `-r hadoop`. Outputs are read back and checked against Python's own answer."""

from __future__ import annotations

import gzip
import json
import re
import shlex
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningServer
from tests.integration.emr.conftest import SharedCluster, command_step

pytestmark = pytest.mark.integration

AWS = Path(sys.executable).parent / "aws"
STEP_DEADLINE_S = 150

MAPPER = """\
import sys
for line in sys.stdin:
    for word in line.split():
        print(f"{word}\\t1")
"""
REDUCER = """\
import sys
current, total = None, 0
for line in sys.stdin:
    word, count = line.rstrip("\\n").split("\\t")
    if word != current:
        if current is not None:
            print(f"{current}\\t{total}")
        current, total = word, 0
    total += int(count)
if current is not None:
    print(f"{current}\\t{total}")
"""
FAILING_MAPPER = "import sys\nsys.stderr.write('this mapper always fails\\n')\nsys.exit(3)\n"
TEXTS = [
    "the quick brown fox jumps over the lazy dog\n" * 40,
    "a rose is a rose is a rose\nthe end\n" * 60,
    "".join(f"word{n % 37} the{n % 5}\n" for n in range(500)),
]
EXPECTED = Counter(w for text in TEXTS for w in text.split())


def _log(shared: SharedCluster, step_id: str, name: str) -> str:
    key = f"logs/{shared.cluster_id}/steps/{step_id}/{name}.gz"
    body = shared.s3.get_object(Bucket=shared.log_bucket, Key=key)["Body"]
    return gzip.decompress(body.read()).decode()


def _wait(shared: SharedCluster, step_id: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + STEP_DEADLINE_S
    while True:
        step: dict[str, Any] = shared.emr.describe_step(
            ClusterId=shared.cluster_id, StepId=step_id
        )["Step"]
        if step["Status"]["State"] in ("COMPLETED", "FAILED", "CANCELLED", "INTERRUPTED"):
            return step
        assert time.monotonic() < deadline, f"{step_id} stuck in {step['Status']}"
        time.sleep(0.2)


def run_script(shared: SharedCluster, script: str) -> tuple[str, str, str]:
    """Run a bash script as a step on the master: (state, stdout, stderr)."""
    step = command_step("mapreduce", "bash", "-c", script)
    (step_id,) = shared.emr.add_job_flow_steps(JobFlowId=shared.cluster_id, Steps=[step])["StepIds"]
    described = _wait(shared, step_id)
    return (
        described["Status"]["State"],
        _log(shared, step_id, "stdout"),
        _log(shared, step_id, "stderr"),
    )


@pytest.fixture(scope="module")
def data(shared_cluster: SharedCluster) -> str:
    """A bucket holding the scripts and the input texts (s3://<bucket>/in/…)."""
    s3 = shared_cluster.s3
    bucket = f"mapreduce-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    for name, text in (("mapper.py", MAPPER), ("reducer.py", REDUCER), ("fail.py", FAILING_MAPPER)):
        s3.put_object(Bucket=bucket, Key=f"code/{name}", Body=text.encode())
    for n, text in enumerate(TEXTS):
        s3.put_object(Bucket=bucket, Key=f"in/part{n}.txt", Body=text.encode())
    s3.put_object(Bucket=bucket, Key="gz/all.txt.gz", Body=gzip.compress("".join(TEXTS).encode()))
    return f"s3://{bucket}"


@pytest.fixture(scope="module")
def hdfs_input(shared_cluster: SharedCluster, data: str) -> str:
    """The input texts copied into HDFS (/user/hadoop/mr-in)."""
    state, _, stderr = run_script(
        shared_cluster, f"hdfs dfs -mkdir -p mr-in && hdfs dfs -cp -f {data}/in/* mr-in/"
    )
    assert state == "COMPLETED", stderr
    return "hdfs:///user/hadoop/mr-in"


def _keyfield_partition(field: bytes, partitions: int) -> int:
    """KeyFieldBasedPartitioner: Java's 31-hash of the field's (signed) bytes from 0, then
    (hash & Integer.MAX_VALUE) % partitions."""
    value = 0
    for byte in field:
        value = (31 * value + (byte - 256 if byte > 127 else byte)) & 0xFFFFFFFF
    return (value & 0x7FFFFFFF) % partitions


def _counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        word, count = line.split("\t")
        counts[word] += int(count)
    return counts


def _streaming(data: str, *args: str) -> str:
    files = f"{data}/code/mapper.py,{data}/code/reducer.py"
    return shlex.join(["hadoop-streaming", "-files", files, *args])


def _listing(out: str) -> str:
    return f"echo '=== ls'; hdfs dfs -ls {out}; echo '=== cat'; hdfs dfs -cat {out}/part-*"


def _split_listing(stdout: str) -> tuple[list[str], str]:
    listing = stdout.split("=== ls\n", 1)[1].split("=== cat\n", 1)
    names = [line.rsplit("/", 1)[-1] for line in listing[0].splitlines() if "/" in line]
    return names, listing[1]


def test_wordcount(shared_cluster: SharedCluster, data: str, hdfs_input: str) -> None:
    out = f"wc-{uuid.uuid4().hex[:6]}"
    job = _streaming(
        data, "-input", hdfs_input, "-output", out,
        "-mapper", "python3 mapper.py", "-reducer", "python3 reducer.py", "-numReduceTasks", "2",
    )  # fmt: skip
    state, stdout, stderr = run_script(shared_cluster, f"{job} && {_listing(out)}")
    assert state == "COMPLETED", stderr
    names, text = _split_listing(stdout)
    assert sorted(names) == ["_SUCCESS", "part-00000", "part-00001"], names
    assert _counts(text) == EXPECTED
    for pattern in (
        r"INFO mapred\.FileInputFormat: Total input files to process : 3\n",
        r"INFO mapreduce\.JobSubmitter: number of splits:\d+\n",
        r"INFO impl\.YarnClientImpl: Submitted application application_\d+_\d{4}\n",
        r"INFO mapreduce\.Job: Running job: job_\d+_\d{4}\n",
        r"INFO mapreduce\.Job: Job job_\d+_\d{4} completed successfully\n",
        r"INFO mapreduce\.Job: Counters: \d+\n\tFile System Counters\n",
        r"\t\tMap input records=" + str(sum(t.count("\n") for t in TEXTS)) + "\n",
        r"\t\tReduce output records=" + str(len(EXPECTED)) + "\n",
        r"INFO streaming\.StreamJob: Output directory: hdfs://[\d.]+:8020/user/hadoop/" + out,
    ):
        assert re.search(pattern, stderr), (pattern, stderr)
    assert stdout.startswith("packageJobJar: [] [")


def test_wordcount_with_a_combiner_from_hadoop_jar(
    shared_cluster: SharedCluster, data: str, hdfs_input: str
) -> None:
    out = f"wcc-{uuid.uuid4().hex[:6]}"
    job = shlex.join(
        ["hadoop", "jar", "/mnt/anywhere/hadoop-streaming-3.5.0.jar",
         "-files", f"{data}/code/mapper.py,{data}/code/reducer.py#sum.py",
         "-input", f"{hdfs_input}/part*", "-output", out, "-mapper", "python3 mapper.py",
         "-combiner", "python3 sum.py", "-reducer", "python3 sum.py"]
    )  # fmt: skip
    state, stdout, stderr = run_script(shared_cluster, f"{job} && {_listing(out)}")
    assert state == "COMPLETED", stderr
    names, text = _split_listing(stdout)
    assert sorted(names) == ["_SUCCESS", "part-00000"], names
    assert _counts(text) == EXPECTED
    combined = re.search(r"Combine output records=(\d+)", stderr)
    assert combined and 0 < int(combined[1]) < sum(EXPECTED.values()), stderr


def test_secondary_sort(shared_cluster: SharedCluster, data: str) -> None:
    rows = [f"k{n % 7}\t{(n * 37) % 101}\tv{n}" for n in range(200)]
    shared_cluster.s3.put_object(
        Bucket=data[5:], Key="sort/rows.txt", Body=("\n".join(rows) + "\n").encode()
    )
    out = f"{data}/sorted-{uuid.uuid4().hex[:6]}"
    job = shlex.join(
        ["hadoop-streaming",
         "-D", "stream.num.map.output.key.fields=2",
         "-D", "mapreduce.partition.keypartitioner.options=-k1,1",
         "-D", "mapreduce.job.output.key.comparator.class="
               "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
         "-D", "mapreduce.partition.keycomparator.options=-k1,1 -k2,2nr",
         "-partitioner", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
         "-input", f"{data}/sort/rows.txt", "-output", out,
         "-mapper", "cat", "-reducer", "cat", "-numReduceTasks", "2"]
    )  # fmt: skip
    state, _, stderr = run_script(shared_cluster, job)
    assert state == "COMPLETED", stderr
    bucket, prefix = out[5:].split("/", 1)
    for partition in (0, 1):
        body = shared_cluster.s3.get_object(Bucket=bucket, Key=f"{prefix}/part-0000{partition}")
        lines = body["Body"].read().decode().splitlines()
        got = [line.split("\t") for line in lines]
        keys = {row[0] for row in got}
        # KeyFieldBasedPartitioner -k1,1: the hash of the first field's bytes
        assert all(_keyfield_partition(k.encode(), 2) == partition for k in keys)
        assert got == sorted(got, key=lambda r: (r[0], -int(r[1])))
    listed = shared_cluster.s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    names = sorted(k for o in listed.get("Contents", []) if (k := o["Key"].rsplit("/", 1)[-1]))
    assert names == ["_SUCCESS", "part-00000", "part-00001"], names


def test_map_only_s3_to_s3(shared_cluster: SharedCluster, data: str) -> None:
    out = f"{data}/maponly-{uuid.uuid4().hex[:6]}"
    job = _streaming(
        data, "-input", f"{data}/in/", "-output", out, "-mapper", "python3 mapper.py",
        "-reducer", "NONE",
    )  # fmt: skip
    state, _, stderr = run_script(shared_cluster, job)
    assert state == "COMPLETED", stderr
    bucket, prefix = out[5:].split("/", 1)
    listed = shared_cluster.s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    keys = sorted(o["Key"] for o in listed.get("Contents", []))
    parts = [k for k in keys if k.rsplit("/", 1)[-1].startswith("part-")]
    assert f"{prefix}/_SUCCESS" in keys and not any("_temporary" in k for k in keys), keys
    assert not any(k.endswith("/") for k in keys), keys  # no directory markers left, as S3A
    text = "".join(shared_cluster.s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode()
                   for k in parts)  # fmt: skip
    assert _counts(text) == EXPECTED  # each word once with 1


def test_gzip_in_and_out(shared_cluster: SharedCluster, data: str) -> None:
    out = f"{data}/gz-out-{uuid.uuid4().hex[:6]}"
    job = _streaming(
        data, "-D", "mapreduce.output.fileoutputformat.compress=true",
        "-D", "mapreduce.output.fileoutputformat.compress.codec="
              "org.apache.hadoop.io.compress.GzipCodec",
        "-input", f"{data}/gz/all.txt.gz", "-output", out,
        "-mapper", "python3 mapper.py", "-reducer", "python3 reducer.py",
    )  # fmt: skip
    state, _, stderr = run_script(shared_cluster, job)
    assert state == "COMPLETED", stderr
    bucket, prefix = out[5:].split("/", 1)
    body = shared_cluster.s3.get_object(Bucket=bucket, Key=f"{prefix}/part-00000.gz")
    assert _counts(gzip.decompress(body["Body"].read()).decode()) == EXPECTED


def test_errors(shared_cluster: SharedCluster, data: str, hdfs_input: str) -> None:
    out = f"fail-{uuid.uuid4().hex[:6]}"
    script = "; ".join(
        [
            "hdfs dfs -mkdir -p exists-already",
            _streaming(data, "-input", hdfs_input, "-output", "exists-already", "-mapper", "cat"),
            "echo exit=$?",
            "hadoop-streaming -mapper cat; echo exit=$?",
            _streaming(data, "-input", "nowhere*", "-output", "x", "-mapper", "cat"),
            "echo exit=$?",
            shlex.join(
                [
                    "hadoop-streaming",
                    "-files",
                    f"{data}/code/fail.py",
                    "-input",
                    hdfs_input,
                    "-output",
                    out,
                    "-mapper",
                    "python3 fail.py",
                    "-D",
                    "mapreduce.map.maxattempts=2",
                ]
            ),
            "echo exit=$?",
            f"hdfs dfs -ls {out} || true",
        ]
    )
    state, stdout, stderr = run_script(shared_cluster, script)
    assert state == "COMPLETED", stderr
    codes = re.findall(r"exit=(\d+)", stdout)
    assert codes[0] == "5" and codes[1] == "1" and codes[2] == "5" and codes[3] == "1", stdout
    assert re.search(
        r"ERROR streaming\.StreamJob: Error launching job , Output path already exists : "
        r"Output directory hdfs://[\d.]+:8020/user/hadoop/exists-already already exists",
        stderr,
    ), stderr
    assert "ERROR streaming.StreamJob: Missing required options: input, output" in stderr
    assert re.search(r"Input Pattern hdfs://[\d.]+:8020/user/hadoop/nowhere\* matches 0 files",
                     stderr), stderr  # fmt: skip
    assert re.search(r"Job job_\d+_\d+ failed with state FAILED due to: ", stderr), stderr
    assert "ERROR streaming.StreamJob: Job not successful!" in stderr
    assert "Streaming Command Failed!" in stderr
    assert "part-" not in stdout.split("exit=1")[-1] and "_SUCCESS" not in stdout


def test_streaming_step_through_the_aws_cli(
    region: RunningServer, shared_cluster: SharedCluster, data: str
) -> None:
    out = f"{data}/step-{uuid.uuid4().hex[:6]}"
    steps = (
        f"Type=STREAMING,Name=wordcount,ActionOnFailure=CONTINUE,Args=[-files,"
        f"{data}/code/mapper.py\\,{data}/code/reducer.py,-mapper,python3 mapper.py,"
        f"-reducer,python3 reducer.py,-input,{data}/in,-output,{out}]"
    )
    done = subprocess.run(
        [str(AWS), "emr", "add-steps", "--cluster-id", shared_cluster.cluster_id, "--steps", steps,
         "--output", "json"],
        env=region.cli_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (step_id,) = json.loads(done.stdout)["StepIds"]
    step = _wait(shared_cluster, step_id)
    assert step["Config"]["Jar"] == "command-runner.jar"
    assert step["Config"]["Args"][0] == "hadoop-streaming"
    assert step["Status"]["State"] == "COMPLETED", step["Status"]
    syslog = _log(shared_cluster, step_id, "syslog")
    assert re.search(
        r"INFO org\.apache\.hadoop\.mapreduce\.Job \(main\): Counters: \d+\n"
        r"\tFile System Counters\n",
        syslog,
    ), syslog
    assert "INFO org.apache.hadoop.streaming.StreamJob (main): Output directory: " + out in syslog
    bucket, prefix = out[5:].split("/", 1)
    body = shared_cluster.s3.get_object(Bucket=bucket, Key=f"{prefix}/part-00000")
    assert _counts(body["Body"].read().decode()) == EXPECTED


MRJOB = """\
from mrjob.job import MRJob


class MRWordCount(MRJob):
    def mapper(self, _, line):
        for word in line.split():
            yield word, 1

    def combiner(self, word, counts):
        yield word, sum(counts)

    def reducer(self, word, counts):
        yield word, sum(counts)


if __name__ == "__main__":
    MRWordCount.run()
"""


def test_mrjob_hadoop_runner(shared_cluster: SharedCluster, data: str, hdfs_input: str) -> None:
    shared_cluster.s3.put_object(Bucket=data[5:], Key="code/my_job.py", Body=MRJOB.encode())
    script = " && ".join(
        [
            f"hdfs dfs -get -f {data}/code/my_job.py my_job.py",
            "PY=$(command -v python3)",
            f'"$PY" my_job.py -r hadoop --python-bin "$PY" {hdfs_input} > result.txt',
            "echo '=== out'",
            "cat result.txt",
        ]
    )
    state, stdout, stderr = run_script(shared_cluster, script)
    assert state == "COMPLETED", stderr
    counts: Counter[str] = Counter()
    for line in stdout.split("=== out\n", 1)[1].splitlines():
        word, count = line.split("\t")
        counts[json.loads(word)] += int(count)
    assert counts == EXPECTED


TOOLS_MAPPER = """\
import os, sys
sys.path.insert(0, "tools/lib")
import wordtools
for line in sys.stdin:
    for word in wordtools.words(line):
        print(os.environ["PREFIX"] + word + "\\t" + os.environ["mapreduce_task_id"][-8:])
"""
WORDTOOLS = "def words(line):\n    return [w.upper() for w in line.split()]\n"


def test_archives_cmdenv_bzip2_nline_and_sequence_output(
    shared_cluster: SharedCluster, data: str, tmp_path: Path
) -> None:
    """-archives unpacked under its #alias, -cmdenv in the mapper's environment with the job's
    own variables, a .bz2 input decompressed, NLineInputFormat's one map per N lines, and
    SequenceFileOutputFormat read back with `hadoop fs -text`."""
    import bz2
    import io
    import tarfile

    s3, bucket = shared_cluster.s3, data[5:]
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        body = WORDTOOLS.encode()
        info = tarfile.TarInfo("lib/wordtools.py")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    s3.put_object(Bucket=bucket, Key="code/tools.tgz", Body=archive.getvalue())
    s3.put_object(Bucket=bucket, Key="code/tools_mapper.py", Body=TOOLS_MAPPER.encode())
    lines = [f"alpha beta{n % 3}" for n in range(9)]
    s3.put_object(
        Bucket=bucket, Key="bz/words.txt.bz2", Body=bz2.compress(("\n".join(lines) + "\n").encode())
    )
    s3.put_object(Bucket=bucket, Key="nline/words.txt", Body=("\n".join(lines) + "\n").encode())

    out, nline_out = f"seq-{uuid.uuid4().hex[:6]}", f"nl-{uuid.uuid4().hex[:6]}"
    common = ["-files", f"{data}/code/tools_mapper.py", "-archives", f"{data}/code/tools.tgz#tools",
              "-cmdenv", "PREFIX=w:", "-mapper", "python3 tools_mapper.py"]  # fmt: skip
    job = shlex.join(
        ["hadoop-streaming", *common, "-input", f"{data}/bz/words.txt.bz2", "-output", out,
         "-reducer", "cat", "-outputformat", "org.apache.hadoop.mapred.SequenceFileOutputFormat"]
    )  # fmt: skip
    nline = shlex.join(
        ["hadoop-streaming", "-D", "mapreduce.input.lineinputformat.linespermap=3",
         "-D", "stream.map.input.ignoreKey=true", *common, "-input", f"{data}/nline/words.txt",
         "-output", nline_out, "-inputformat", "org.apache.hadoop.mapred.lib.NLineInputFormat",
         "-reducer", "NONE"]
    )  # fmt: skip
    script = (
        f"{job} && {nline} && echo '=== seq' && hdfs dfs -text {out}/part-00000 "
        f"&& echo '=== nline' && hdfs dfs -cat {nline_out}/part-*"
    )
    state, stdout, stderr = run_script(shared_cluster, script)
    assert state == "COMPLETED", stderr
    seq_text, nline_text = stdout.split("=== seq\n", 1)[1].split("=== nline\n", 1)
    records = [line.split("\t") for line in seq_text.splitlines()]
    assert [word for word, _ in records] == sorted(
        f"w:{w.upper()}" for line in lines for w in line.split()
    )
    assert {task for _, task in records} == {"m_000000"}  # a .bz2 is one split
    tasks = {line.split("\t")[1] for line in nline_text.splitlines()}
    assert tasks == {"m_000000", "m_000001", "m_000002"}  # 9 lines, 3 per map
