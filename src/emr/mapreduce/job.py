"""A streaming job as the client hands it to the ApplicationMaster (`JobSpec`, in the staging
dir's job.json), and the umbilical protocol's messages between tasks and the AM.

Hadoop's configuration stays the source of truth for tunables: `JobSpec.conf` holds every
property the job sees (the node's mapred-site, then -D options, then what the streaming
options set, e.g. `stream.map.streamprocessor`), and every component reads its keys through
`JobSpec.get`/`get_int`/… with Hadoop's defaults in `DEFAULTS`. Tasks also see the whole conf
in their environment, dots turned into underscores (Hadoop Streaming's rule).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from emr.mapreduce.counters import CounterGroups

__all__ = [
    "DEFAULTS",
    "UMBILICAL_PREFIX",
    "CommitAnswer",
    "FailedAttempt",
    "FetchFailure",
    "InputFormat",
    "InputSplit",
    "JobHistory",
    "JobSpec",
    "JobState",
    "MapEvent",
    "MapEvents",
    "OutputFormat",
    "StatusAnswer",
    "StatusReport",
    "TaskAssignment",
    "TaskDone",
    "TaskFailed",
]

UMBILICAL_PREFIX = "/umbilical/v1"

#: Hadoop's defaults for the keys this package reads (mapred-default.xml, streaming's own).
DEFAULTS: dict[str, str] = {
    "mapreduce.job.reduces": "1",
    "mapreduce.job.maps": "2",
    "mapreduce.map.memory.mb": "1024",
    "mapreduce.reduce.memory.mb": "1024",
    "mapreduce.map.cpu.vcores": "1",
    "mapreduce.reduce.cpu.vcores": "1",
    "yarn.app.mapreduce.am.resource.mb": "1536",
    "yarn.app.mapreduce.am.staging-dir": "/tmp/hadoop-yarn/staging",
    "mapreduce.am.max-attempts": "2",
    "mapreduce.map.maxattempts": "4",
    "mapreduce.reduce.maxattempts": "4",
    "mapreduce.task.timeout": "600000",
    "mapreduce.map.speculative": "true",
    "mapreduce.reduce.speculative": "true",
    "mapreduce.job.reduce.slowstart.completedmaps": "0.05",
    "mapreduce.reduce.shuffle.parallelcopies": "5",
    "mapreduce.task.io.sort.mb": "100",
    "mapreduce.map.sort.spill.percent": "0.80",
    "mapreduce.task.io.sort.factor": "10",
    "mapreduce.map.combine.minspills": "3",
    "mapreduce.fileoutputcommitter.marksuccessfuljobs": "true",
    "mapreduce.output.fileoutputformat.compress": "false",
    "mapreduce.output.fileoutputformat.compress.codec": (
        "org.apache.hadoop.io.compress.DefaultCodec"
    ),
    "mapreduce.input.fileinputformat.split.minsize": "1",
    "mapreduce.input.lineinputformat.linespermap": "1",
    "mapreduce.input.keyvaluelinerecordreader.key.value.separator": "\t",
    "stream.map.input.field.separator": "\t",
    "stream.map.output.field.separator": "\t",
    "stream.num.map.output.key.fields": "1",
    "stream.reduce.input.field.separator": "\t",
    "stream.reduce.output.field.separator": "\t",
    "stream.num.reduce.output.key.fields": "1",
    "map.output.key.field.separator": "\t",
    "mapreduce.partition.keypartitioner.options": "",
    "mapreduce.partition.keycomparator.options": "",
    "stream.non.zero.exit.is.failure": "true",
}

InputFormat = Literal["text", "keyvalue", "sequence", "sequence_as_text", "nline"]
OutputFormat = Literal["text", "sequence"]
JobState = Literal["NEW", "INITED", "RUNNING", "SUCCEEDED", "FAILED", "KILLED", "ERROR"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSplit(_Model):
    """A byte range of one input file (Hadoop's FileSplit); `hosts` hold its data (IPs)."""

    path: str  # qualified: hdfs://10.0.0.1:8020/p, s3://bucket/key, file:/p
    start: int
    length: int
    hosts: list[str] = []


class JobSpec(_Model):
    job_id: str
    name: str
    user: str
    queue: str = "default"
    conf: dict[str, str]
    output: str  # qualified URI; must not exist when the job is submitted
    splits: list[InputSplit]
    input_format: InputFormat = "text"
    output_format: OutputFormat = "text"
    #: Shell command lines (run with `bash -c` in the task's working directory).
    mapper: str
    combiner: str | None = None
    #: None with reduces > 0: the identity reducer (records pass through, sorted).
    reducer: str | None = None
    num_reduces: int
    #: `hash` (Hadoop's HashPartitioner over the key's Text hash) or `keyfield`
    #: (KeyFieldBasedPartitioner with mapreduce.partition.keypartitioner.options).
    partitioner: Literal["hash", "keyfield"] = "hash"
    #: `raw` (Text's byte order) or `keyfield` (KeyFieldBasedComparator with
    #: mapreduce.partition.keycomparator.options).
    comparator: Literal["raw", "keyfield"] = "raw"
    #: -files: name in every task's working directory → URI (hdfs://, s3://).
    files: dict[str, str] = {}
    #: -archives: name → URI of a .zip/.tar/.tar.gz/.tgz/.jar, unpacked into that name.
    archives: dict[str, str] = {}
    #: -cmdenv: added to the environment of the mapper, combiner and reducer processes.
    environment: dict[str, str] = {}

    def get(self, key: str) -> str:
        return self.conf.get(key, DEFAULTS.get(key, ""))

    def get_int(self, key: str) -> int:
        return int(self.get(key))

    def get_float(self, key: str) -> float:
        return float(self.get(key))

    def get_bool(self, key: str) -> bool:
        return self.get(key).strip().lower() == "true"


# --- umbilical: task → ApplicationMaster ---------------------------------------------------


class TaskAssignment(_Model):
    attempt_id: str
    #: The AM's attempt number: the committer's `_temporary/<n>/` directory.
    app_attempt: int
    split: InputSplit | None = None  # maps
    partition: int = 0  # reduces: the partition it reduces (= its index)
    num_maps: int
    num_reduces: int


class StatusReport(_Model):
    progress: float  # 0.0 … 1.0
    state: str = ""  # the status line (`reporter:status:` or the phase)
    counters: CounterGroups = {}


class StatusAnswer(_Model):
    #: The AM no longer wants this attempt (killed, or another attempt won): exit at once.
    kill: bool = False


class MapEvent(_Model):
    map_index: int
    attempt_id: str
    #: SUCCEEDED: fetch it from `shuffle_address`; OBSOLETE: an earlier SUCCEEDED event of
    #: this map is void (its node is gone, its output lost): wait for a newer event.
    status: Literal["SUCCEEDED", "OBSOLETE"]
    shuffle_address: str  # host:port of the map's node's shuffle service


class MapEvents(_Model):
    events: list[MapEvent]
    #: Pass as `from` next time.
    next: int


class FetchFailure(_Model):
    map_attempt_id: str
    reason: str = ""


class CommitAnswer(_Model):
    commit: bool


class TaskDone(_Model):
    counters: CounterGroups = {}
    #: Maps of jobs with reduces: where their output is served (host:port).
    shuffle_address: str = ""


class TaskFailed(_Model):
    diagnostics: str
    counters: CounterGroups = {}


# --- the job's end, for the client -----------------------------------------------------------


class FailedAttempt(_Model):
    attempt_id: str
    diagnostics: str


class JobHistory(_Model):
    """`<staging dir>/history.json`, written by the AM before it unregisters."""

    job_id: str
    state: JobState
    diagnostics: str = ""
    counters: CounterGroups = {}
    maps_total: int = 0
    reduces_total: int = 0
    start_time: int = 0  # ms
    finish_time: int = 0  # ms
    #: Attempts that FAILED, in the order they ended (the client prints them as Hadoop's).
    failed_attempts: list[FailedAttempt] = []
