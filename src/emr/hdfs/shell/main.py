"""The `hdfs` and `hadoop` commands of a node: dispatch by tool and subcommand.

`hdfs dfs`, `hadoop fs` and `hadoop dfs` run the FS shell (fsshell.py); `hdfs fsck` and
`hdfs dfsadmin` go to admin.py; `version`, `classpath`, `hdfs getconf` are answered here.
`hadoop jar <…/hadoop-streaming*.jar> …` runs Hadoop Streaming (emr.mapreduce.streaming);
other jars are not provided yet.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

from emr.hdfs.site import HadoopConf, current_user
from emr.services.emr.releases import HADOOP_VERSION

__all__ = ["main"]

_HDFS_USAGE = """Usage: hdfs [OPTIONS] SUBCOMMAND [SUBCOMMAND OPTIONS]

  OPTIONS is none or any of:

--config dir                     Hadoop config directory
--loglevel level                 set the log4j level for this command

  SUBCOMMAND is one of:

    Admin Commands:

dfsadmin             run a DFS admin client
fsck                 run a DFS filesystem checking utility

    Client Commands:

classpath            prints the class path needed to get the hadoop jar and the required libraries
dfs                  run a filesystem command on the file system
getconf              get config values from configuration
version              print the version

SUBCOMMAND may print help when invoked w/o parameters or with -h.
"""

_HADOOP_USAGE = """Usage: hadoop [OPTIONS] SUBCOMMAND [SUBCOMMAND OPTIONS]
 or    hadoop [OPTIONS] CLASSNAME [CLASSNAME OPTIONS]
  where CLASSNAME is a user-provided Java class

  OPTIONS is none or any of:

--config dir                     Hadoop config directory
--loglevel level                 set the log4j level for this command

  SUBCOMMAND is one of:

    Client Commands:

classpath            prints the class path needed to get the hadoop jar and the required libraries
fs                   run a generic filesystem user client
jar <jar>            run a jar file. NOTE: please use "yarn jar" to launch YARN applications, not this command.
version              print the version

SUBCOMMAND may print help when invoked w/o parameters or with -h.
"""

_GETCONF_USAGE = """hdfs getconf is utility for getting configuration information from the config file.

hadoop getconf
\t[-namenodes]\t\t\tgets list of namenodes in the cluster.
\t[-secondaryNameNodes]\t\t\tgets list of secondary namenodes in the cluster.
\t[-backupNodes]\t\t\tgets list of backup nodes in the cluster.
\t[-nnRpcAddresses]\t\t\tgets the namenode rpc addresses
\t[-confKey [key]]\t\t\tgets a specific key from the configuration
"""

#: hdfs-default.xml / core-default.xml values getconf answers when the site files say nothing.
_DEFAULTS = {
    "fs.defaultFS": "file:///",
    "fs.trash.interval": "0",
    "dfs.replication": "3",
    "dfs.blocksize": "134217728",
    "dfs.permissions.superusergroup": "supergroup",
    "dfs.permissions.enabled": "true",
    "dfs.webhdfs.enabled": "true",
}


def main(argv: list[str]) -> int:
    """`argv[0]` is the tool (`hdfs` or `hadoop`), the rest its arguments."""
    # httpx's __init__ imports its command-line client (click, rich, pygments) when they are
    # installed: ~0.3 s of every shell call, for code the shell never runs. A stub makes
    # that import fail, which httpx expects and handles.
    sys.modules.setdefault("httpx._main", ModuleType("httpx._main"))
    tool = os.path.basename(argv[0]) if argv else "hadoop"
    args = _strip_launcher_options(argv[1:])
    environ = os.environ
    if tool == "hdfs":
        return _hdfs(args, environ)
    return _hadoop(args, environ)


def _strip_launcher_options(args: list[str]) -> list[str]:
    """`--config dir` and `--loglevel level` (the launcher script's own options)."""
    rest = list(args)
    while len(rest) >= 2 and rest[0] in ("--config", "--loglevel"):
        if rest[0] == "--config":
            os.environ["HADOOP_CONF_DIR"] = rest[1]
        del rest[:2]
    return rest


def _fs_shell(args: list[str], environ: Mapping[str, str]) -> int:
    from emr.hdfs.shell.command import Streams
    from emr.hdfs.shell.fsshell import run_fs_shell

    streams = Streams(sys.stdout.buffer, sys.stderr, sys.stdin.buffer)
    code = run_fs_shell(args, HadoopConf.load(environ), current_user(environ), environ, streams)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): what is still buffered must not fail the exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = code or 1
    return code & 0xFF


def _hdfs(args: list[str], environ: Mapping[str, str]) -> int:
    if not args:
        sys.stderr.write(_HDFS_USAGE)
        return 1
    sub, rest = args[0], args[1:]
    if sub == "dfs":
        return _fs_shell(rest, environ)
    if sub == "fsck":
        from emr.hdfs.shell import admin

        return admin.fsck_main(rest, HadoopConf.load(environ), current_user(environ))
    if sub == "dfsadmin":
        from emr.hdfs.shell import admin

        return admin.dfsadmin_main(rest, HadoopConf.load(environ), current_user(environ))
    if sub == "getconf":
        return _getconf(rest, HadoopConf.load(environ))
    if sub == "version":
        return _version(environ)
    if sub == "classpath":
        return _classpath(environ)
    sys.stderr.write(_HDFS_USAGE)
    return 1


def _hadoop(args: list[str], environ: Mapping[str, str]) -> int:
    if not args:
        sys.stderr.write(_HADOOP_USAGE)
        return 1
    sub, rest = args[0], args[1:]
    if sub == "fs":
        return _fs_shell(rest, environ)
    if sub == "dfs":
        sys.stderr.write(
            "WARNING: Use of this script to execute dfs is deprecated.\n"
            'WARNING: Attempting to execute replacement "hdfs dfs" instead.\n\n'
        )
        return _fs_shell(rest, environ)
    if sub == "version":
        return _version(environ)
    if sub == "classpath":
        return _classpath(environ)
    if sub == "jar":
        return _jar(rest, environ)
    sys.stderr.write(_HADOOP_USAGE)
    return 1


def _jar(args: list[str], environ: Mapping[str, str]) -> int:
    # Streaming is recognised by the jar's file name, wherever it lives (EMR's
    # /usr/lib/hadoop-mapreduce/hadoop-streaming.jar, our lib/, a copy): its main class and
    # options are the same.
    if args and fnmatch.fnmatchcase(Path(args[0]).name, "hadoop-streaming*.jar"):
        from emr.mapreduce.streaming.main import main as streaming_main

        rest = args[1:]
        # `hadoop jar <jar> [MainClass] args`: the streaming jar's own main class may be named.
        if rest[:1] == ["org.apache.hadoop.streaming.HadoopStreaming"]:
            rest = rest[1:]
        return streaming_main(rest, environ)
    sys.stderr.write("hadoop: not available yet on this platform\n")
    return 1


def _version(environ: Mapping[str, str]) -> int:
    home = environ.get("HADOOP_HOME", str(Path(__file__).parent))
    sys.stdout.write(
        f"Hadoop {HADOOP_VERSION}\n"
        f"Source code repository https://github.com/apache/hadoop.git -r rel/release-{HADOOP_VERSION}\n"
        "Compiled by emr\n"
        "Compiled with protoc 3.21.12\n"
        f"This command was run using {home}/lib/hadoop-common-{HADOOP_VERSION}.jar\n"
    )
    return 0


def _classpath(environ: Mapping[str, str]) -> int:
    conf = environ.get("HADOOP_CONF_DIR", "")
    home = environ.get("HADOOP_HOME") or environ.get("EMR_NODE_DIR") or ""
    parts = [p for p in (conf, f"{home}/lib/*" if home else "") if p]
    sys.stdout.write(":".join(parts) + "\n")
    return 0


def _getconf(args: list[str], conf: HadoopConf) -> int:
    from emr.hdfs.shell.paths import parse_path

    host_port = parse_path(conf.default_fs).authority or ""
    if args[:1] == ["-confKey"] and len(args) == 2:
        key = args[1]
        value = conf.properties.get(key, _DEFAULTS.get(key))
        if key == "dfs.namenode.http-address" and value is None:
            value = conf.namenode_http.removeprefix("http://")
        if value is None:
            sys.stderr.write(f"Configuration {key} is missing.\n")
            return 1
        sys.stdout.write(value + "\n")
        return 0
    if args == ["-namenodes"]:
        sys.stdout.write(host_port.split(":")[0] + "\n")
        return 0
    if args == ["-nnRpcAddresses"]:
        sys.stdout.write(host_port + "\n")
        return 0
    if args in (["-secondaryNameNodes"], ["-backupNodes"]):
        sys.stdout.write("\n")
        return 0
    sys.stderr.write(_GETCONF_USAGE)
    return 1
