"""MapReduce streaming: wordcount and a TeraSort-style sort on a 1 master + 2 core cluster,
against the GNU tools, mrjob's local runner and pyspark local[2] in the same run.

Data (generated deterministically, cached under $TMPDIR/emr-bench-mapreduce/ between runs):
  text      EMR_BENCH_MR_GIB GiB (default 1) of lines of 12 words drawn from a Zipf (s=1)
            vocabulary of 50,000 lower-case words, single spaces, `\\n` line ends: 16 distinct
            8 MiB blocks tiled in a seeded order (the counts stay exact: every peer reads the
            same bytes).
  records   EMR_BENCH_MR_RECORDS (default 10,000,000) records of 100 bytes in gensort's ASCII
            form (`gensort -a`, the text form of TeraGen's record: Hadoop's GenSort builds the
            same fields in binary): 10-byte key of printable characters, 2-byte break, 32 hex
            digits of row id, 2-byte break, 52 bytes of filler, `\\r\\n`. The sort key is the
            first 10 bytes. (TeraGen's binary layout, 10 + 2 + 32 + 4 + 48 + 4, has no line
            terminator and may hold \\n inside keys, so streaming cannot read it as text.)
Both files are written into the cluster's HDFS through WebHDFS (replication as the cluster's
default) before any timing; the load is not timed. HDFS rather than S3: the tasks read it from
the DataNodes of the core nodes, as on EMR.

Ours (each job is one command-runner step `hadoop-streaming …` on the master, timed from
AddJobFlowSteps to the step's COMPLETED, polled every 50 ms; so job submission, the AM and
container start-up are in it, as they are in every Hadoop job):
  wordcount  -mapper `python3 wc_mapper.py` (in-mapper combining: a Counter per map task, emitted
             at its end), -reducer `python3 wc_reducer.py` (sums runs of equal words),
             -numReduceTasks 2. Checked: the counts equal the GNU pipeline's.
  terasort   streaming has no TotalOrderPartitioner, so the mapper does its job: `python3
             tera_mapper.py <split points>` emits `bucket\\tkey\\trest` where the bucket is the
             range of the key among REDUCES - 1 split points sampled from the input (TeraSort's
             sampling: 10,000 keys spread over the file). stream.num.map.output.key.fields=2
             makes `bucket\\tkey` the map output key, KeyFieldBasedPartitioner -k1,1 sends a
             bucket to its reduce (the bucket labels are chosen so that their hash lands on
             their own reduce index), and the sort by the raw bytes of `bucket\\tkey` orders a
             reduce by key. The reducer `cut -f2-` drops the bucket; the output separator is ""
             so part-00000, part-00001 … hold the records as read. REDUCES = 2.
Validation (TeraValidate-style) of every sort output, ours and the peers': keys (first 10
bytes) never decrease across the part files in order, and the record count and the sum of the
CRC-32s of the records (without their line terminator) equal the input's.

Peers, run on the same files on local disk, after the cluster is gone:
  GNU          wordcount `tr -s ' ' '\\n' < text | LC_ALL=C sort | uniq -c`; sort
               `LC_ALL=C sort records` (GNU sort uses both cores).
  mrjob        `-r local` (its local runner: subprocesses for tasks, an in-memory sort in
               Python), 2 reduces, the same mapper and reducer scripts as MRStep *_cmd; for the
               sort the mapper emits `key\\trest` (one bucket: mrjob sorts globally).
  pyspark      `spark-submit --master local[2]`: flatMap/map/reduceByKey/saveAsTextFile;
               map to (key, rest)/sortByKey/saveAsTextFile.
All times are wall-clock seconds (lower is better; ratio = peer / ours, > 1: we are faster).
Targets (issue 7): wordcount within 1.5x of the GNU pipeline (ratio >= 0.67), faster than mrjob
local and pyspark local (ratio > 1). The machine has 2 cores shared by the 3 nodes, the tasks
and the peers: run it more than once. EMR_BENCH_MR_PROFILE=<dir> makes every task attempt write
a cProfile of its main thread to <dir>/<attempt id>.prof (see emr.mapreduce.task.attempt).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench.harness import Endpoint, Result, emr_cluster, emr_server, run_step

MiB = 1024 * 1024
GIB = float(os.environ.get("EMR_BENCH_MR_GIB", "1"))
RECORDS = int(os.environ.get("EMR_BENCH_MR_RECORDS", "10000000"))
REDUCES = 2
VOCABULARY = 50_000
WORDS_PER_LINE = 12
BLOCK = 8 * MiB
DISTINCT_BLOCKS = 16
RECORD_BLOCK = 100_000
SAMPLES = 10_000
STEP_TIMEOUT_S = 3600.0
PEER_TIMEOUT_S = 3600.0
USER = "hadoop"
HDFS_DIR = "/user/hadoop/bench-mr"
CACHE = Path(tempfile.gettempdir()) / "emr-bench-mapreduce"
_TIMEOUT = httpx.Timeout(300.0, connect=10.0)

WC_MAPPER = """\
import sys
from collections import Counter

counts = Counter()
for line in sys.stdin.buffer:
    counts.update(line.split())
sys.stdout.buffer.write(b"".join(b"%s\\t%d\\n" % item for item in counts.items()))
"""
WC_REDUCER = """\
import sys

out = sys.stdout.buffer
current, total = None, 0
for line in sys.stdin.buffer:
    word, _, count = line.rstrip(b"\\n").partition(b"\\t")
    if word != current:
        if current is not None:
            out.write(b"%s\\t%d\\n" % (current, total))
        current, total = word, 0
    total += int(count)
if current is not None:
    out.write(b"%s\\t%d\\n" % (current, total))
"""
#: `tera_mapper.py LABEL0 [SPLIT LABEL]…`: bucket label, key and rest of every record; with one
#: label and no splits (`-`), just `key\\trest`.
TERA_MAPPER = """\
import sys
from bisect import bisect_right

labels = [a.encode() for a in sys.argv[1::2]]
splits = [bytes.fromhex(a) for a in sys.argv[2::2]]
out = sys.stdout.buffer
if labels == [b"-"]:
    for line in sys.stdin.buffer:
        out.write(line[:10] + b"\\t" + line[10:])
else:
    for line in sys.stdin.buffer:
        key = line[:10]
        out.write(labels[bisect_right(splits, key)] + b"\\t" + key + b"\\t" + line[10:])
"""
MRJOB_WC = """\
from mrjob.job import MRJob
from mrjob.step import MRStep


class WordCount(MRJob):
    FILES = ["wc_mapper.py", "wc_reducer.py"]

    def steps(self):
        return [MRStep(mapper_cmd="python3 wc_mapper.py", reducer_cmd="python3 wc_reducer.py")]


if __name__ == "__main__":
    WordCount.run()
"""
MRJOB_SORT = """\
from mrjob.job import MRJob
from mrjob.step import MRStep


class Sort(MRJob):
    FILES = ["tera_mapper.py"]

    def steps(self):
        return [MRStep(mapper_cmd="python3 tera_mapper.py -", reducer_cmd="cat")]


if __name__ == "__main__":
    Sort.run()
"""
SPARK_WC = """\
import sys
from operator import add
from pyspark import SparkContext

sc = SparkContext(appName="wordcount")
counts = sc.textFile(sys.argv[1]).flatMap(lambda l: l.split(" ")).filter(bool)
counts.map(lambda w: (w, 1)).reduceByKey(add, 2).map(lambda kv: f"{kv[0]}\\t{kv[1]}") \\
    .saveAsTextFile(sys.argv[2])
sc.stop()
"""
SPARK_SORT = """\
import sys
from pyspark import SparkContext

sc = SparkContext(appName="sort")
records = sc.textFile(sys.argv[1]).map(lambda l: (l[:10], l[10:]))
records.sortByKey(numPartitions=2).map(lambda kv: kv[0] + kv[1]).saveAsTextFile(sys.argv[2])
sc.stop()
"""


# --- data ----------------------------------------------------------------------------------------


def _words() -> list[str]:
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    ordered: list[str] = []
    while len(ordered) < VOCABULARY:
        word = "".join(rng.choices(letters, k=min(12, max(1, int(rng.expovariate(1 / 6)) + 1))))
        if word not in words:
            words.add(word)
            ordered.append(word)
    return ordered


def make_text(path: Path, size: int) -> None:
    """`size` bytes (rounded up to whole blocks) of Zipf-distributed words."""
    words = _words()
    weights = [1 / (rank + 1) for rank in range(VOCABULARY)]
    cumulative = [0.0] * VOCABULARY
    total = 0.0
    for rank, weight in enumerate(weights):
        total += weight
        cumulative[rank] = total
    rng = random.Random(11)
    blocks: list[bytes] = []
    for _ in range(DISTINCT_BLOCKS):
        lines: list[str] = []
        length = 0
        while length < BLOCK:
            tokens = rng.choices(words, cum_weights=cumulative, k=WORDS_PER_LINE * 1024)
            chunk = [
                " ".join(tokens[i : i + WORDS_PER_LINE])
                for i in range(0, len(tokens), WORDS_PER_LINE)
            ]
            lines += chunk
            length += sum(len(line) + 1 for line in chunk)
        blocks.append(("\n".join(lines) + "\n").encode())
    count = -(-size // BLOCK)
    order = [n % DISTINCT_BLOCKS for n in range(count)]
    rng.shuffle(order)
    with open(path, "wb") as out:
        for n in order:
            out.write(blocks[n])


def make_records(path: Path, count: int) -> None:
    """`count` records of 100 bytes, gensort -a layout (see the module docstring)."""
    rng = random.Random(13)
    printable = bytes(32 + b % 95 for b in range(256))
    hexdigits = b"0123456789ABCDEF"
    fillers = [
        b"".join(
            hexdigits[(n >> (i % 12)) & 15 : ((n >> (i % 12)) & 15) + 1] * 4 for i in range(13)
        )
        for n in range(4096)
    ]
    with open(path, "wb") as out:
        for base in range(0, count, RECORD_BLOCK):
            n = min(RECORD_BLOCK, count - base)
            keys = rng.randbytes(10 * n).translate(printable)
            out.write(
                b"".join(
                    [
                        keys[j * 10 : j * 10 + 10]
                        + b"  %032X  " % (base + j)
                        + fillers[(base + j) & 4095]
                        + b"\r\n"
                        for j in range(n)
                    ]
                )
            )


def cached(name: str, make: Callable[[Path], None]) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / name
    if not path.exists():
        start = time.perf_counter()
        partial = path.with_suffix(".tmp")
        make(partial)
        partial.rename(path)
        print(f"generated {path} ({path.stat().st_size / MiB:,.0f} MiB) in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    return path


# --- checks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortCheck:
    """TeraValidate's summary of a set of records."""

    records: int
    checksum: int
    ordered: bool


def _record(line: bytes) -> bytes:
    """A record as read (line terminator dropped; a tab some tools put after the key too)."""
    line = line.rstrip(b"\r\n")
    if line[10:11] == b"\t":
        line = line[:10] + line[11:]
    return line


def check_sorted(chunks: Iterator[bytes]) -> SortCheck:
    records = checksum = 0
    ordered = True
    previous = b""
    pending = b""
    crc = zlib.crc32
    for chunk in chunks:
        data = pending + chunk
        cut = data.rfind(b"\n") + 1
        pending = data[cut:]
        for line in data[:cut].splitlines():
            record = _record(line)
            key = record[:10]
            if key < previous:
                ordered = False
            previous = key
            checksum += crc(record)
            records += 1
    if pending.strip():
        record = _record(pending)
        ordered = ordered and record[:10] >= previous
        checksum += crc(record)
        records += 1
    return SortCheck(records, checksum, ordered)


def _file_chunks(paths: list[Path]) -> Iterator[bytes]:
    for path in paths:
        with open(path, "rb") as file:
            while chunk := file.read(4 * MiB):
                yield chunk


def input_check(path: Path) -> SortCheck:
    """Count and checksum of the input (its order is not checked)."""
    check = check_sorted(_file_chunks([path]))
    return SortCheck(check.records, check.checksum, True)


def word_counts(text: str, count_first: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        if count_first:  # uniq -c: `   count word`
            count, word = line.split()
        else:
            word, count = line.split("\t")
        counts[word] += int(count)
    return counts


# --- the cluster -----------------------------------------------------------------------------


def _webhdfs(namenode: str, method: str, path: str, params: dict[str, str]) -> httpx.Response:
    query = {"user.name": USER, **params}
    return httpx.request(method, f"{namenode}/webhdfs/v1{path}", params=query, timeout=_TIMEOUT)


def hdfs_put(namenode: str, path: str, local: Path) -> None:
    response = _webhdfs(namenode, "PUT", path, {"op": "CREATE", "overwrite": "true"})
    if response.status_code != 307:
        raise RuntimeError(f"CREATE {path}: {response.status_code} {response.text}")
    parts = urlsplit(response.headers["location"])
    connection = http.client.HTTPConnection(parts.netloc, timeout=300, blocksize=MiB)
    try:
        with open(local, "rb") as body:
            connection.request(
                "PUT", f"{parts.path}?{parts.query}", body=body,
                headers={"Content-Length": str(local.stat().st_size)},
            )  # fmt: skip
            answer = connection.getresponse()
            text = answer.read()
            if answer.status != 201:
                raise RuntimeError(f"CREATE {path}: {answer.status} {text!r}")
    finally:
        connection.close()


def hdfs_chunks(namenode: str, directory: str) -> Iterator[bytes]:
    """The bytes of the part files of a job's output directory, in order."""
    listing = _webhdfs(namenode, "GET", directory, {"op": "LISTSTATUS"})
    listing.raise_for_status()
    names = sorted(
        s["pathSuffix"]
        for s in listing.json()["FileStatuses"]["FileStatus"]
        if s["pathSuffix"].startswith("part-")
    )
    for name in names:
        response = _webhdfs(namenode, "GET", f"{directory}/{name}", {"op": "OPEN"})
        if response.status_code != 307:
            raise RuntimeError(f"OPEN {name}: {response.status_code}")
        with httpx.stream("GET", response.headers["location"], timeout=_TIMEOUT) as body:
            body.raise_for_status()
            yield from body.iter_bytes(4 * MiB)


@dataclass
class Cluster:
    emr: object
    cluster_id: str
    namenode: str

    def step(self, name: str, script: str) -> float:
        """Seconds from adding a command-runner step running `script` to its COMPLETED."""
        status, seconds = run_step(
            self.emr, self.cluster_id, name, ["bash", "-c", script], STEP_TIMEOUT_S
        )
        if status["State"] != "COMPLETED":
            raise RuntimeError(f"{name}: {status}")
        return seconds


@contextlib.contextmanager
def cluster(endpoint: Endpoint) -> Iterator[Cluster]:
    import boto3

    name = "bench-mapreduce"
    with emr_cluster(endpoint, name, core=2) as master:
        emr = boto3.Session(
            aws_access_key_id=endpoint.access_key,
            aws_secret_access_key=endpoint.secret_key,
            region_name="us-east-1",
        ).client("emr", endpoint_url=endpoint.url)
        (found,) = [
            c["Id"]
            for c in emr.list_clusters(ClusterStates=["WAITING"])["Clusters"]
            if c["Name"] == name
        ]
        yield Cluster(emr, found, f"http://{master}:9870")


def _java_hash(data: bytes) -> int:
    h = 0
    for byte in data:
        h = (31 * h + (byte - 256 if byte > 127 else byte)) & 0xFFFFFFFF
    return h & 0x7FFFFFFF


def bucket_labels(reduces: int) -> list[str]:
    """A label per reduce whose KeyFieldBasedPartitioner hash lands on that reduce."""
    labels: list[str] = []
    for index in range(reduces):
        n = 0
        while _java_hash(f"b{n}".encode()) % reduces != index:
            n += 1
        labels.append(f"b{n}")
    return labels


def split_points(records: Path, count: int, reduces: int) -> list[bytes]:
    """TeraSort's sampling: SAMPLES keys spread over the file, cut into `reduces` ranges."""
    step = max(1, count // SAMPLES)
    keys: list[bytes] = []
    with open(records, "rb") as file:
        for n in range(0, count, step):
            file.seek(n * 100)
            keys.append(file.read(10))
    keys.sort()
    return [keys[len(keys) * i // reduces] for i in range(1, reduces)]


def _streaming(*args: str) -> str:
    return shlex.join(["hadoop-streaming", *args])


@dataclass
class Ours:
    wordcount_s: float
    counts: Counter[str]
    sort_s: float
    sort_check: SortCheck


def run_ours(text: Path, records: Path, scratch: Path) -> Ours:
    code = scratch / "code"
    code.mkdir()
    for name, body in (
        ("wc_mapper.py", WC_MAPPER),
        ("wc_reducer.py", WC_REDUCER),
        ("tera_mapper.py", TERA_MAPPER),
    ):
        (code / name).write_text(body)
    labels = bucket_labels(REDUCES)
    splits = split_points(records, RECORDS, REDUCES)
    mapper_args = [labels[0]]
    for split, label in zip(splits, labels[1:], strict=True):
        mapper_args += [split.hex(), label]
    # ("python3 tera_mapper.py" + args must be one -mapper word list)
    tera_mapper = shlex.join(["python3", "tera_mapper.py", *mapper_args])
    with emr_server(parent=scratch) as endpoint, cluster(endpoint) as c:
        start = time.perf_counter()
        for path in code.iterdir():
            hdfs_put(c.namenode, f"{HDFS_DIR}/code/{path.name}", path)
        hdfs_put(c.namenode, f"{HDFS_DIR}/text", text)
        hdfs_put(c.namenode, f"{HDFS_DIR}/records", records)
        print(f"loaded the input into HDFS in {time.perf_counter() - start:.1f} s")
        files = ",".join(
            f"hdfs://{HDFS_DIR}/code/{n}"
            for n in ("wc_mapper.py", "wc_reducer.py", "tera_mapper.py")
        )
        wordcount = _streaming(
            "-files", files, "-input", f"{HDFS_DIR}/text", "-output", f"{HDFS_DIR}/wc",
            "-mapper", "python3 wc_mapper.py", "-reducer", "python3 wc_reducer.py",
            "-numReduceTasks", str(REDUCES),
        )  # fmt: skip
        wordcount_s = c.step("wordcount", wordcount)
        print(f"ours: wordcount {wordcount_s:.1f} s")
        chunks = b"".join(hdfs_chunks(c.namenode, f"{HDFS_DIR}/wc"))
        counts = word_counts(chunks.decode(), count_first=False)
        sort = _streaming(
            "-D", "stream.num.map.output.key.fields=2",
            "-D", "mapreduce.partition.keypartitioner.options=-k1,1",
            "-D", "mapreduce.output.textoutputformat.separator=",
            "-files", files, "-input", f"{HDFS_DIR}/records", "-output", f"{HDFS_DIR}/sorted",
            "-mapper", tera_mapper, "-reducer", "cut -f2-",
            "-partitioner", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
            "-numReduceTasks", str(REDUCES),
        )  # fmt: skip
        sort_s = c.step("terasort", sort)
        print(f"ours: terasort {sort_s:.1f} s")
        sort_check = check_sorted(hdfs_chunks(c.namenode, f"{HDFS_DIR}/sorted"))
    return Ours(wordcount_s, counts, sort_s, sort_check)


# --- peers -------------------------------------------------------------------------------------


def _timed(command: list[str] | str, cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, shell=isinstance(command, str), timeout=PEER_TIMEOUT_S,
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    return time.perf_counter() - start


def _parts(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.startswith("part-"))


@dataclass
class Peer:
    name: str
    wordcount_s: float
    sort_s: float


def run_peers(
    text: Path, records: Path, scratch: Path, counts: Counter[str], expected: SortCheck
) -> list[Peer]:
    work = scratch / "peers"
    work.mkdir()
    for name, body in (
        ("wc_mapper.py", WC_MAPPER),
        ("wc_reducer.py", WC_REDUCER),
        ("tera_mapper.py", TERA_MAPPER),
        ("mr_wc.py", MRJOB_WC),
        ("mr_sort.py", MRJOB_SORT),
        ("spark_wc.py", SPARK_WC),
        ("spark_sort.py", SPARK_SORT),
    ):
        (work / name).write_text(body)
    env = {**os.environ, "LC_ALL": "C", "TMPDIR": str(work)}
    peers: list[Peer] = []

    def check_counts(name: str, found: Counter[str]) -> None:
        if found != counts:
            raise RuntimeError(f"{name}: wordcount differs from ours")

    def check_sort(name: str, paths: list[Path]) -> None:
        found = check_sorted(_file_chunks(paths))
        if found != expected:
            raise RuntimeError(f"{name}: sort check {found}, input {expected}")

    # GNU
    out = work / "gnu-wc.txt"
    wc_s = _timed(f"tr -s ' ' '\\n' < {text} | LC_ALL=C sort | uniq -c > {out}", work, env)
    check_counts("GNU", word_counts(out.read_text(), count_first=True))
    out.unlink()
    out = work / "gnu-sort.txt"
    sort_s = _timed(["sort", "-o", str(out), str(records)], work, env)
    check_sort("GNU sort", [out])
    out.unlink()
    peers.append(Peer("GNU tr|sort|uniq -c; LC_ALL=C sort", wc_s, sort_s))
    print(f"GNU: wordcount {wc_s:.1f} s, sort {sort_s:.1f} s")

    # mrjob local
    python = sys.executable
    jobconf = ["--jobconf", f"mapreduce.job.reduces={REDUCES}", "--num-cores", "2"]
    out = work / "mrjob-wc"
    wc_s = _timed(
        [python, "mr_wc.py", "-r", "local", *jobconf, "-o", str(out), str(text)], work, env
    )
    check_counts(
        "mrjob", word_counts(b"".join(p.read_bytes() for p in _parts(out)).decode(), False)
    )
    shutil.rmtree(out)
    out = work / "mrjob-sort"
    sort_s = _timed(
        [python, "mr_sort.py", "-r", "local", *jobconf, "-o", str(out), str(records)], work, env
    )
    check_sort("mrjob", _parts(out))
    shutil.rmtree(out)
    peers.append(Peer("mrjob -r local", wc_s, sort_s))
    print(f"mrjob: wordcount {wc_s:.1f} s, sort {sort_s:.1f} s")

    # pyspark local[2]
    submit = [
        str(Path(python).with_name("spark-submit")), "--master", "local[2]",
        "--driver-memory", "4g", "--conf", "spark.ui.enabled=false",
    ]  # fmt: skip
    spark_env = {**env, "PYSPARK_PYTHON": python, "PYSPARK_DRIVER_PYTHON": python}
    out = work / "spark-wc"
    wc_s = _timed([*submit, "spark_wc.py", str(text), str(out)], work, spark_env)
    check_counts(
        "pyspark", word_counts(b"".join(p.read_bytes() for p in _parts(out)).decode(), False)
    )
    shutil.rmtree(out)
    out = work / "spark-sort"
    sort_s = _timed([*submit, "spark_sort.py", str(records), str(out)], work, spark_env)
    check_sort("pyspark", _parts(out))
    shutil.rmtree(out)
    peers.append(Peer("pyspark local[2]", wc_s, sort_s))
    print(f"pyspark: wordcount {wc_s:.1f} s, sort {sort_s:.1f} s")
    return peers


def run() -> list[Result]:
    """Wordcount and sort rows against every peer."""
    size = int(GIB * 1024 * MiB)
    text = cached(f"text-{size}.txt", lambda p: make_text(p, size))
    records = cached(f"records-{RECORDS}.txt", lambda p: make_records(p, RECORDS))
    text_mib = text.stat().st_size / MiB
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    expected = input_check(records)
    with tempfile.TemporaryDirectory(prefix="emr-bench-mr-") as directory:
        scratch = Path(directory)
        ours = run_ours(text, records, scratch)
        if ours.sort_check != expected:
            raise RuntimeError(f"our sort: {ours.sort_check}, input {expected}")
        peers = run_peers(text, records, scratch, ours.counts, expected)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    results: list[Result] = []
    for peer in peers:
        results.append(Result(f"mapreduce wordcount {text_mib:,.0f} MiB", "s",
                              ours.wordcount_s, peer.wordcount_s, peer.name, False))  # fmt: skip
    for peer in peers:
        results.append(Result(f"mapreduce sort {RECORDS:,} x 100 B", "s",
                              ours.sort_s, peer.sort_s, peer.name, False))  # fmt: skip
    print(json.dumps({"ours": [ours.wordcount_s, ours.sort_s],
                      "peers": {p.name: [p.wordcount_s, p.sort_s] for p in peers}}))  # fmt: skip
    return results
