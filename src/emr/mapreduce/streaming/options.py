"""`hadoop-streaming`'s command line: Hadoop's generic options (-D, -conf, -files, -archives,
-libjars) and StreamJob's own, parsed into `StreamingOptions` (pure: argv in, options out).

LIMITATIONS: generic options are accepted anywhere on the line (Hadoop wants them first);
-inputreader, -mapdebug, -reducedebug, -io and -background are refused; -fs and -jt are
refused (the node's configuration decides).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from emr.hdfs.shell.options import GENERIC_OPTIONS_USAGE

__all__ = [
    "USAGE",
    "StreamingOptions",
    "UsageError",
    "detailed_usage",
    "missing_required",
    "parse_args",
    "short_usage",
]

USAGE: Final = (
    """\
Usage: $HADOOP_HOME/bin/hadoop jar hadoop-streaming.jar [options]
Options:
  -input          <path> DFS input file(s) for the Map step.
  -output         <path> DFS output directory for the Reduce step.
  -mapper         <cmd|JavaClassName> Optional. Command to be run as mapper.
  -combiner       <cmd|JavaClassName> Optional. Command to be run as combiner.
  -reducer        <cmd|JavaClassName> Optional. Command to be run as reducer.
  -file           <file> Optional. File/dir to be shipped in the Job jar file.
                  Deprecated. Use generic option "-files" instead.
  -inputformat    <TextInputFormat(default)|SequenceFileAsTextInputFormat|JavaClassName>
                  Optional. The input format class.
  -outputformat   <TextOutputFormat(default)|JavaClassName>
                  Optional. The output format class.
  -partitioner    <JavaClassName>  Optional. The partitioner class.
  -numReduceTasks <num> Optional. Number of reduce tasks.
  -inputreader    <spec> Optional. Input recordreader spec.
  -cmdenv         <n>=<v> Optional. Pass env.var to streaming commands.
  -mapdebug       <cmd> Optional. To run this script when a map task fails.
  -reducedebug    <cmd> Optional. To run this script when a reduce task fails.
  -io             <identifier> Optional. Format to use for input to and output
                  from mapper/reducer commands
  -lazyOutput     Optional. Lazily create Output.
  -background     Optional. Submit the job and don't wait till it completes.
  -verbose        Optional. Print verbose output.
  -info           Optional. Print detailed usage.
  -help           Optional. Print help message.

"""
    + GENERIC_OPTIONS_USAGE
    + "\n"
)

_USAGE_TAIL: Final = """\
For more details about these options:
Use $HADOOP_HOME/bin/hadoop jar hadoop-streaming.jar -info
"""

_DETAILS: Final = """\
Usage tips:
In -input: globbing on <path> is supported and can have multiple -input

Default Map input format: a line is a record in UTF-8 the key part ends at first
  TAB, the rest of the line is the value

To pass a Custom input format:
  -inputformat package.MyInputFormat

Similarly, to pass a custom output format:
  -outputformat package.MyOutputFormat

The files with extensions .class and .jar/.zip, specified for the -file
  argument[s], end up in "classes" and "lib" directories respectively inside
  the working directory when the mapper and reducer are run. All other files
  specified for the -file argument[s] end up in the working directory when the
  mapper and reducer are run. The location of this working directory is
  unspecified.

To set the number of reduce tasks (num. of output files) as, say 10:
  Use -numReduceTasks 10
To skip the sort/combine/shuffle/sort/reduce step:
  Use -numReduceTasks 0
  Map output then becomes a 'side-effect output' rather than a reduce input.
  This speeds up processing. This also feels more like "in-place" processing
  because the input filename and the map input order are preserved.
  This is equivalent to -reducer NONE

To speed up the last maps:
  -D mapreduce.map.speculative=true
To speed up the last reduces:
  -D mapreduce.reduce.speculative=true
To name the job (appears in the JobTracker Web UI):
  -D mapreduce.job.name='My Job'
To change the local temp directory:
  -D dfs.data.dir=/tmp/dfs
  -D stream.tmpdir=/tmp/streaming
Additional local temp directories with -jt local:
  -D mapreduce.cluster.local.dir=/tmp/local
  -D mapreduce.jobtracker.system.dir=/tmp/system
  -D mapreduce.cluster.temp.dir=/tmp/temp
To treat tasks with non-zero exit status as SUCCEDED:
  -D stream.non.zero.exit.is.failure=false
Use a custom hadoop streaming build along with standard hadoop install:
  $HADOOP_HOME/bin/hadoop jar /path/my-hadoop-streaming.jar [...]\\
    [...] -D stream.shipped.hadoopstreaming=/path/my-hadoop-streaming.jar
For more details about jobconf parameters see:
  http://wiki.apache.org/hadoop/JobConfFile
Truncate the values of the job configuration copied to the environment at the given length:
   -D stream.jobconf.truncate.limit=-1
To set an environment variable in a streaming command:
   -cmdenv EXAMPLE_DIR=/home/example/dictionaries/

Shortcut:
   setenv HSTREAMING "$HADOOP_HOME/bin/hadoop jar hadoop-streaming.jar"

Example: $HSTREAMING -mapper "/usr/local/bin/perl5 filter.pl"
           -file /local/filter.pl -input "/logs/0604*/*" [...]
  Ships a script, invokes the non-shipped perl interpreter. Shipped files go to
  the working directory so filter.pl is found by perl. Input files are all the
  daily logs for days in month 2006-04
"""


def detailed_usage() -> str:
    """What `-info` prints."""
    return USAGE + _DETAILS


class UsageError(Exception):
    """The command line is not one Hadoop Streaming accepts; the message is Hadoop's."""


@dataclass
class StreamingOptions:
    """Everything the command line said, in order where order matters."""

    #: -D and -jobconf properties, in the order given (later wins).
    properties: dict[str, str] = field(default_factory=dict)
    conf_files: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    archives: list[str] = field(default_factory=list)
    libjars: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    output: str | None = None
    mapper: str | None = None
    combiner: str | None = None
    reducer: str | None = None
    #: -file: local files shipped into every task's working directory.
    ship_files: list[str] = field(default_factory=list)
    input_format: str | None = None
    output_format: str | None = None
    partitioner: str | None = None
    num_reduce_tasks: int | None = None
    cmdenv: dict[str, str] = field(default_factory=dict)
    verbose: bool = False
    lazy_output: bool = False
    help: bool = False
    info: bool = False
    #: Deprecation and "ignored" notes, logged by the caller as Hadoop logs them.
    warnings: list[str] = field(default_factory=list)


_WITH_VALUE: Final = frozenset(
    {
        "-conf", "-files", "-archives", "-libjars", "-input", "-output", "-mapper",
        "-combiner", "-reducer", "-file", "-inputformat", "-outputformat", "-partitioner",
        "-numReduceTasks", "-cmdenv", "-jobconf", "-D",
    }
)  # fmt: skip
_FLAGS: Final = frozenset({"-verbose", "-lazyOutput", "-help", "-info", "-debug"})
_REFUSED: Final = frozenset(
    {"-inputreader", "-mapdebug", "-reducedebug", "-io", "-background", "-fs", "-jt", "-cacheFile",
     "-cacheArchive"}
)  # fmt: skip


def _property(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"Invalid {option} value, must be in the form of key=value: {text}")
    return key.strip(), value


def _commas(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def parse_args(argv: Sequence[str]) -> StreamingOptions:
    """Parse a streaming command line (UsageError when Hadoop would refuse it)."""
    options = StreamingOptions()
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-D") and len(arg) > 2:
            key, value = _property(arg[2:], "-D")
            options.properties[key] = value
            i += 1
            continue
        if arg in _FLAGS:
            if arg == "-verbose" or arg == "-debug":
                options.verbose = True
            elif arg == "-lazyOutput":
                options.lazy_output = True
            elif arg == "-help":
                options.help = True
            else:
                options.info = True
            i += 1
            continue
        if arg in _REFUSED:
            raise UsageError(f"{arg} is not supported on this platform")
        if arg not in _WITH_VALUE:
            raise UsageError(f"Unrecognized option: {arg}")
        if i + 1 >= len(args):
            raise UsageError(f"Missing argument for option: {arg.lstrip('-')}")
        value = args[i + 1]
        i += 2
        _apply(options, arg, value)
    return options


def _apply(options: StreamingOptions, option: str, value: str) -> None:
    if option == "-D":
        key, text = _property(value, "-D")
        options.properties[key] = text
    elif option == "-jobconf":
        key, text = _property(value, "-jobconf")
        options.properties[key] = text
        options.warnings.append("-jobconf option is deprecated, please use -D instead.")
    elif option == "-conf":
        options.conf_files.append(value)
    elif option == "-files":
        options.files += _commas(value)
    elif option == "-archives":
        options.archives += _commas(value)
    elif option == "-libjars":
        options.libjars += _commas(value)
        options.warnings.append("-libjars is ignored: streaming tasks run no Java code here.")
    elif option == "-input":
        options.inputs += _commas(value)
    elif option == "-output":
        options.output = value
    elif option == "-mapper":
        options.mapper = value
    elif option == "-combiner":
        options.combiner = value
    elif option == "-reducer":
        options.reducer = value
    elif option == "-file":
        options.ship_files.append(value)
        options.warnings.append(
            "-file option is deprecated, please use generic option -files instead."
        )
    elif option == "-inputformat":
        options.input_format = value
    elif option == "-outputformat":
        options.output_format = value
    elif option == "-partitioner":
        options.partitioner = value
    elif option == "-numReduceTasks":
        try:
            options.num_reduce_tasks = int(value)
        except ValueError:
            raise UsageError(f"Invalid -numReduceTasks value: {value}") from None
        if options.num_reduce_tasks < 0:
            raise UsageError(f"Invalid -numReduceTasks value: {value}")
    elif option == "-cmdenv":
        key, text = _property(value, "-cmdenv")
        options.cmdenv[key] = text


def missing_required(options: StreamingOptions) -> list[str]:
    """The required options the command line lacks, in Hadoop's order."""
    missing = []
    if not options.inputs:
        missing.append("input")
    if options.output is None:
        missing.append("output")
    if options.mapper is None:
        missing.append("mapper")
    return missing


def short_usage() -> str:
    """What `-help` prints."""
    return USAGE + _USAGE_TAIL
