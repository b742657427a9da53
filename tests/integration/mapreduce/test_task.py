"""What the task attempts (`python -m emr.mapreduce.task`) compute, through real jobs: the real
ApplicationMaster on a real ResourceManager and two NodeManagers (conftest.py's `am_cluster`),
inputs and outputs in file: URIs.

- a word count over two splits of one file, with two reduces: spills (a tiny sort buffer),
  the combiner on every spill and again at the merge, the shuffle through both NodeManagers'
  shuffle services, Hadoop's hash partitioning, the committed output, the job's counters, and
  the tasks' log lines in their containers' stderr;
- a map-only job over KeyValueTextInputFormat input: its output files' names and records;
- a mapper and reducer that write `reporter:counter:` and `reporter:status:` lines: custom
  counters in the AM's /counters while the job runs and in history.json at the end; the
  reporter lines stay out of the task logs, other stderr lines go into them. (The status
  reaches the AM but nothing shows it to a user yet: no task-attempt REST resource.)
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from emr.mapreduce.job import InputSplit
from tests.integration.mapreduce.conftest import submit_job, whole_files
from tests.integration.yarn.conftest import Cluster, wait_for

pytestmark = pytest.mark.integration

TASK = "org.apache.hadoop.mapreduce.TaskCounter"
FILE_SYSTEM = "org.apache.hadoop.mapreduce.FileSystemCounter"
INPUT_FORMAT = "org.apache.hadoop.mapreduce.lib.input.FileInputFormatCounter"
OUTPUT_FORMAT = "org.apache.hadoop.mapreduce.lib.output.FileOutputFormatCounter"
#: Sums the counts of each run of equal keys (compared as strings), keeping the keys' order,
#: as a combiner must.
SUM = (
    'awk -F\'\\t\' \'{key = $1 ""} NR > 1 && key != k {print k "\\t" n; n = 0}'
    ' {k = key; n += $2} END {if (NR) print k "\\t" n}\''
)
#: log4j's container-log layout, as Hadoop's tasks write it.
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARN|ERROR) \[[^\]]+\] [\w.$]+: ", re.M
)


def text_partition(key: bytes, reduces: int) -> int:
    """Hadoop's HashPartitioner over a Text key: WritableComparator.hashBytes (h = 31 * h +
    signed byte, from 1, in int32), then (hash & Integer.MAX_VALUE) % reduces."""
    h = 1
    for byte in key:
        h = (31 * h + (byte - 256 if byte > 127 else byte)) & 0xFFFFFFFF
    return (h & 0x7FFFFFFF) % reduces


def test_word_count_spills_combines_shuffles_and_partitions(
    am_cluster: Cluster, tmp_path: Path
) -> None:
    text = b"".join(
        b"the quick brown fox %d jumps over the lazy dog %d\n" % (i, i % 7) for i in range(300)
    )
    source = tmp_path / "input.txt"
    source.write_bytes(text)
    half = len(text) // 2 + 5  # inside a line: the split boundary rules decide who reads it
    splits = [
        InputSplit(path=f"file://{source}", start=0, length=half),
        InputSplit(path=f"file://{source}", start=half, length=len(text) - half),
    ]
    job = submit_job(
        am_cluster,
        tmp_path,
        splits,
        "tr ' ' '\\n' | grep -v '^$' | sed 's/$/\\t1/'",
        reduces=2,
        combiner=SUM,
        reducer=SUM,
        # 1 MB spilled at 1 %: ~10 KB per spill, several spills per map
        conf={"mapreduce.task.io.sort.mb": "1", "mapreduce.map.sort.spill.percent": "0.01"},
    )
    final = job.wait()
    assert final["finalStatus"] == "SUCCEEDED", am_cluster.logs()

    words: dict[str, int] = {}
    for word in text.decode().split():
        words[word] = words.get(word, 0) + 1
    out = job.output
    assert sorted(p.name for p in out.iterdir()) == ["_SUCCESS", "part-00000", "part-00001"]
    got: dict[str, int] = {}
    for number in range(2):
        for line in (out / f"part-{number:05d}").read_text().splitlines():
            key, value = line.split("\t")
            assert text_partition(key.encode(), 2) == number, key
            got[key] = int(value)
    assert got == words

    counters = job.counters()
    task = counters[TASK]
    assert task["MAP_INPUT_RECORDS"] == 300
    assert task["MAP_OUTPUT_RECORDS"] == sum(words.values()) == 3300
    # the combiner ran over every spill (all map output) and again when at least 3 spills
    # were merged, so it read more records than the maps wrote
    assert task["COMBINE_INPUT_RECORDS"] > task["MAP_OUTPUT_RECORDS"]
    assert task["COMBINE_OUTPUT_RECORDS"] < task["COMBINE_INPUT_RECORDS"]
    # every spilled record, in the spills and in the merged output, came out of the combiner
    assert task["SPILLED_RECORDS"] == task["COMBINE_OUTPUT_RECORDS"]
    # the merged outputs are what the reduces read: spilled minus what the merge combined
    merged = task["SPILLED_RECORDS"] - (task["COMBINE_INPUT_RECORDS"] - task["MAP_OUTPUT_RECORDS"])
    assert task["REDUCE_INPUT_RECORDS"] == merged
    assert len(words) < merged <= 2 * len(words)
    assert task["REDUCE_INPUT_GROUPS"] == task["REDUCE_OUTPUT_RECORDS"] == len(words)
    assert task["SHUFFLED_MAPS"] == 2 * 2  # every map's output, to each of the two reduces
    assert task["REDUCE_SHUFFLE_BYTES"] == task["MAP_OUTPUT_MATERIALIZED_BYTES"] > 0
    assert task["SPLIT_RAW_BYTES"] > 0
    parts = sum((out / f"part-{n:05d}").stat().st_size for n in range(2))
    assert counters[OUTPUT_FORMAT]["BYTES_WRITTEN"] == parts
    assert counters[INPUT_FORMAT]["BYTES_READ"] >= len(text)
    assert counters[FILE_SYSTEM]["FILE_BYTES_READ"] >= len(text)
    written = counters[FILE_SYSTEM]["FILE_BYTES_WRITTEN"]
    assert written >= parts + task["MAP_OUTPUT_MATERIALIZED_BYTES"]
    job_counters = counters["org.apache.hadoop.mapreduce.JobCounter"]
    launched = (job_counters["TOTAL_LAUNCHED_MAPS"], job_counters["TOTAL_LAUNCHED_REDUCES"])
    assert launched == (2, 2), job.history()["failed_attempts"]

    logs = job.task_logs()
    done: set[str] = set()
    for container, log in logs.items():
        lines = log.splitlines()
        assert lines and all(LOG_LINE.match(line) for line in lines), (container, log[-2000:])
        running = re.search(
            rf" INFO \[main\] org\.apache\.hadoop\.mapred\.YarnChild: Running (\S+) of {job.job_id}$",
            log,
            re.M,
        )
        assert running, (container, log[-2000:])
        attempt = running.group(1)
        if f" INFO [main] org.apache.hadoop.mapred.Task: Task '{attempt}' done." in log:
            done.add(attempt.rsplit("_", 1)[0])
    prefix = job.job_id.replace("job_", "attempt_")
    assert done == {f"{prefix}_{kind}_{n:06d}" for kind in "mr" for n in range(2)}


def test_a_map_only_job_over_key_value_input(am_cluster: Cluster, tmp_path: Path) -> None:
    splits = whole_files(
        tmp_path / "in", {"a.txt": b"k1,v1\nk2,v2,more\n", "b.txt": b"lonely\nk3,\n"}
    )
    job = submit_job(
        am_cluster,
        tmp_path,
        splits,
        "sed 's/^/<</'",  # shows where the mapper's line starts
        reduces=0,
        input_format="keyvalue",
        conf={"mapreduce.input.keyvaluelinerecordreader.key.value.separator": ","},
    )
    final = job.wait()
    assert final["finalStatus"] == "SUCCEEDED", am_cluster.logs()
    out = job.output
    # maps of a map-only job write `part-<map index>`, as streaming's old-API formats name them
    assert sorted(p.name for p in out.iterdir()) == ["_SUCCESS", "part-00000", "part-00001"]
    # key and value split at the first `,`, handed to the mapper tab-separated
    assert (out / "part-00000").read_text() == "<<k1\tv1\n<<k2\tv2,more\n"
    assert (out / "part-00001").read_text() == "<<lonely\t\n<<k3\t\n"
    task = job.counters()[TASK]
    assert task["MAP_INPUT_RECORDS"] == task["MAP_OUTPUT_RECORDS"] == 4
    assert "REDUCE_INPUT_RECORDS" not in task and "SPILLED_RECORDS" not in task
    assert job.history()["reduces_total"] == 0


def test_reporter_lines_make_counters_and_status(am_cluster: Cluster, tmp_path: Path) -> None:
    gate = tmp_path / "go"
    splits = whole_files(tmp_path / "in", {"a.txt": b"a\nb\nc\n", "b.txt": b"d\ne\n"})
    mapper = (
        'awk \'{print $0 "\\t1"; print "reporter:counter:Custom,Lines,1" > "/dev/stderr"}'
        ' END {print "reporter:counter:Custom,Maps,1" > "/dev/stderr";'
        ' print "reporter:status:mapped " NR " lines" > "/dev/stderr";'
        ' print "a plain stderr line" > "/dev/stderr"}\''
    )
    # the reduce holds the job until `gate` exists (at most ~60 s), so that the AM's /counters
    # is read while the job runs
    reducer = (
        f"for i in $(seq 600); do [ -e {gate} ] && break; sleep 0.1; done;"
        " echo 'reporter:counter:Custom,Reduces,1' >&2; echo 'reporter:status:reduced' >&2; cat"
    )
    job = submit_job(am_cluster, tmp_path, splits, mapper, reduces=1, reducer=reducer)
    app = wait_for(
        lambda: (a := am_cluster.app(job.app_id)).get("trackingUrl", "").startswith("http") and a,
        am_cluster.logs,
    )
    url = f"{app['trackingUrl'].rstrip('/')}/ws/v1/mapreduce/jobs/{job.job_id}"
    wait_for(lambda: httpx.get(url).json()["job"]["mapsCompleted"] == 2, am_cluster.logs)
    groups = httpx.get(f"{url}/counters").json()["jobCounters"]["counterGroup"]
    custom = {
        c["name"]: (c["totalCounterValue"], c["mapCounterValue"], c["reduceCounterValue"])
        for g in groups
        if g["counterGroupName"] == "Custom"
        for c in g["counter"]
    }
    assert custom == {"Lines": (5, 5, 0), "Maps": (2, 2, 0)}
    # the status lines, per task and attempt, through Hadoop's tasks and attempts resources
    maps = httpx.get(f"{url}/tasks", params={"type": "m"}).json()["tasks"]["task"]
    assert {t["state"] for t in maps} == {"SUCCEEDED"}
    assert sorted(t["status"] for t in maps) == ["mapped 2 lines", "mapped 3 lines"]
    first = maps[0]["id"]
    [attempt] = httpx.get(f"{url}/tasks/{first}/attempts").json()["taskAttempts"]["taskAttempt"]
    assert attempt["id"] == maps[0]["successfulAttempt"] and attempt["state"] == "SUCCEEDED"
    assert attempt["type"] == "MAP" and attempt["progress"] == 100.0
    assert attempt["assignedContainerId"].startswith("container_") and attempt["nodeHttpAddress"]
    one = httpx.get(f"{url}/tasks/{first}/attempts/{attempt['id']}").json()["taskAttempt"]
    assert one == {**attempt, "elapsedTime": one["elapsedTime"]}
    [reduce] = httpx.get(f"{url}/tasks", params={"type": "r"}).json()["tasks"]["task"]
    assert reduce["type"] == "REDUCE" and reduce["state"] == "RUNNING"
    assert httpx.get(f"{url}/tasks", params={"type": "x"}).status_code == 400
    missing = httpx.get(f"{url}/tasks/task_1_0001_m_000009")
    assert missing.status_code == 404
    assert missing.json()["RemoteException"]["exception"] == "NotFoundException"
    gate.touch()
    final = job.wait()
    assert final["finalStatus"] == "SUCCEEDED", am_cluster.logs()
    assert (job.output / "part-00000").read_text() == "a\t1\nb\t1\nc\t1\nd\t1\ne\t1\n"
    assert job.counters()["Custom"] == {"Lines": 5, "Maps": 2, "Reduces": 1}
    logs = "".join(job.task_logs().values())
    # reporter lines are the framework's; the mapper's other stderr lines go to the task log
    assert "reporter:" not in logs
    assert logs.count("a plain stderr line\n") == 2
