"""`hdfs dfs` / `hadoop fs` as a user runs them: the real CLI in a subprocess against a real
NameNode and two DataNodes on 127.0.0.1, configured through HADOOP_CONF_DIR."""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emr.services.emr.releases import HADOOP_VERSION
from tests.conftest import RunningServer

from .cluster import DataNodeProcess, start_datanodes
from .conftest import NameNodeProcess, write_node_dir

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

BLOCK = 64 * 1024


@dataclass
class Shell:
    """Runs `python -m emr.hdfs.shell <tool> …` with the test cluster's conf dir."""

    env: dict[str, str]
    namenode: NameNodeProcess
    cwd: Path

    def run(
        self, *args: str, tool: str = "hdfs", stdin: bytes | None = None, user: str = "hadoop"
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "emr.hdfs.shell", tool, *args],
            env={**self.env, "HADOOP_USER_NAME": user},
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=60,
            cwd=self.cwd,
        )

    def dfs(
        self, *args: str, stdin: bytes | None = None, user: str = "hadoop"
    ) -> subprocess.CompletedProcess[bytes]:
        return self.run("dfs", *args, stdin=stdin, user=user)

    def ok(self, *args: str, stdin: bytes | None = None) -> str:
        done = self.dfs(*args, stdin=stdin)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout.decode()


def write_conf(directory: Path, properties: dict[str, dict[str, str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, values in properties.items():
        xml = "".join(
            f"<property><name>{k}</name><value>{v}</value></property>" for k, v in values.items()
        )
        (directory / name).write_text(f"<configuration>{xml}</configuration>")
    return directory


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    root = tmp_path_factory.mktemp("shell")
    node_dir = write_node_dir(
        root / "nn",
        core_nodes=2,
        site={"dfs.blocksize": str(BLOCK), "dfs.replication": "2"},
    )
    namenode = NameNodeProcess(node_dir, ["--tick", "0.2", "--heartbeat-timeout", "2"])
    namenode.start()
    datanodes: list[DataNodeProcess] = []
    try:
        datanodes = start_datanodes(root, namenode, 2)
        conf = write_conf(
            root / "conf",
            {
                "core-site.xml": {"fs.defaultFS": f"hdfs://127.0.0.1:{namenode.rpc_port}"},
                "hdfs-site.xml": {
                    "dfs.namenode.http-address": f"127.0.0.1:{namenode.http_port}",
                    "dfs.replication": "2",
                },
            },
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HADOOP_"))}
        env["TZ"] = "UTC"
        env["HADOOP_CONF_DIR"] = str(conf)
        work = root / "work"
        work.mkdir()
        yield Shell(env, namenode, work)
    finally:
        for datanode in datanodes:
            datanode.stop(signal.SIGKILL)
        namenode.stop(signal.SIGKILL)


LS_LINE = re.compile(
    r"^(?P<type>[d-])(?P<perm>[rwxtT-]{9}) +(?P<repl>\d+|-) (?P<owner>\S+) +(?P<group>\S+) +"
    r"(?P<size>\d+) (?P<date>\d{4}-\d\d-\d\d \d\d:\d\d) (?P<path>.+)$"
)


def ls_rows(output: str) -> dict[str, re.Match[str]]:
    rows = {}
    for line in output.splitlines():
        if line.startswith("Found "):
            continue
        match = LS_LINE.match(line)
        assert match, line
        rows[match["path"]] = match
    return rows


def test_ls_mkdir_and_their_errors(shell: Shell) -> None:
    missing = shell.dfs("-ls", "/nope")
    assert missing.returncode == 1
    assert missing.stderr == b"ls: `/nope': No such file or directory\n"
    assert missing.stdout == b""

    assert shell.ok("-mkdir", "lsdir") == ""
    exists = shell.dfs("-mkdir", "lsdir")
    assert (exists.returncode, exists.stderr) == (1, b"mkdir: `lsdir': File exists\n")
    orphan = shell.dfs("-mkdir", "lsdir/a/b")
    assert orphan.returncode == 1
    base = f"hdfs://127.0.0.1:{shell.namenode.rpc_port}/user/hadoop"
    assert orphan.stderr.decode() == (
        f"mkdir: `mkdir failed for path: {base}/lsdir/a/b. Item parent path not found: "
        f"{base}/lsdir/a.': No such file or directory\n"
    )
    shell.ok("-mkdir", "-p", "lsdir/a/b", "lsdir/c")
    shell.ok("-mkdir", "-p", "lsdir/a/b")  # -p: an existing directory is fine

    # Several paths: each failure is reported, the others still done, exit 1 at the end.
    mixed = shell.dfs("-ls", "/nope1", "lsdir", "/nope2")
    assert mixed.returncode == 1
    assert mixed.stderr.decode().splitlines() == [
        "ls: `/nope1': No such file or directory",
        "ls: `/nope2': No such file or directory",
    ]
    out = mixed.stdout.decode().splitlines()
    assert out[0] == "Found 2 items"
    rows = ls_rows("\n".join(out))
    assert set(rows) == {"lsdir/a", "lsdir/c"}
    assert rows["lsdir/a"]["type"] == "d" and rows["lsdir/a"]["perm"] == "rwxr-xr-x"
    assert rows["lsdir/a"]["repl"] == "-" and rows["lsdir/a"]["owner"] == "hadoop"

    # Absolute and scheme-qualified paths print as given; -d lists the directory itself.
    absolute = shell.ok("-ls", "-d", "/user/hadoop/lsdir")
    assert list(ls_rows(absolute)) == ["/user/hadoop/lsdir"]
    qualified = shell.ok("-ls", "hdfs:///user/hadoop/lsdir")
    assert set(ls_rows(qualified)) == {
        "hdfs:///user/hadoop/lsdir/a", "hdfs:///user/hadoop/lsdir/c"}  # fmt: skip
    rpc = f"hdfs://127.0.0.1:{shell.namenode.rpc_port}/user/hadoop/lsdir"
    assert set(ls_rows(shell.ok("-ls", rpc))) == {f"{rpc}/a", f"{rpc}/c"}
    assert shell.ok("-ls", "-C", "lsdir").splitlines() == ["lsdir/a", "lsdir/c"]
    assert shell.ok("-ls", "-C", "-r", "lsdir").splitlines() == ["lsdir/c", "lsdir/a"]
    shell.ok("-put", "-", "lsdir/small", stdin=b"s")
    shell.ok("-put", "-", "lsdir/large", stdin=b"l" * 100)
    by_size = [line.rsplit(" ", 1)[-1] for line in shell.ok("-ls", "-S", "lsdir").splitlines()]
    assert by_size == ["items", "lsdir/large", "lsdir/small", "lsdir/a", "lsdir/c"]
    recursive = shell.ok("-ls", "-R", "lsdir")
    assert "Found" not in recursive
    assert list(ls_rows(recursive)) == [
        "lsdir/a", "lsdir/a/b", "lsdir/c", "lsdir/large", "lsdir/small"]  # fmt: skip
    # No argument: the home directory, children by name.
    assert "lsdir" in ls_rows(shell.ok("-ls"))


def test_put_get_cat_multiblock_byte_exact(shell: Shell) -> None:
    data = os.urandom(5 * BLOCK + 77)
    local = shell.cwd / "big.bin"
    local.write_bytes(data)
    shell.ok("-mkdir", "putdir")
    assert shell.ok("-put", str(local), "putdir/") == ""
    rows = ls_rows(shell.ok("-ls", "putdir"))
    assert rows["putdir/big.bin"]["size"] == str(len(data))
    assert rows["putdir/big.bin"]["repl"] == "2"
    assert rows["putdir/big.bin"]["perm"] == "rw-r--r--"
    assert shell.ok("-stat", "%b %r %o %n %F %u:%g", "putdir/big.bin") == (
        f"{len(data)} 2 {BLOCK} big.bin regular file hadoop:hadoop\n"
    )
    assert shell.dfs("-cat", "putdir/big.bin").stdout == data

    again = shell.dfs("-put", str(local), "putdir/big.bin")
    assert again.returncode == 1
    assert again.stderr == b"put: `putdir/big.bin': File exists\n"
    local.write_bytes(data[::-1])
    shell.ok("-put", "-f", str(local), "putdir/big.bin")
    assert shell.dfs("-cat", "putdir/big.bin").stdout == data[::-1]
    assert shell.ok("-ls", "-C", "putdir") == "putdir/big.bin\n"  # no ._COPYING_ left

    got = shell.cwd / "got.bin"
    shell.ok("-get", "putdir/big.bin", str(got))
    assert got.read_bytes() == data[::-1]
    refused = shell.dfs("-get", "putdir/big.bin", str(got))
    assert refused.returncode == 1 and refused.stderr.endswith(b"': File exists\n")
    shell.ok("-copyToLocal", "-f", "hdfs:///user/hadoop/putdir/big.bin", str(got))
    assert got.read_bytes() == data[::-1]

    shell.ok("-put", "-d", "-", "putdir/direct.txt", stdin=b"direct\n")
    assert shell.dfs("-cat", "putdir/direct.txt").stdout == b"direct\n"

    # stdin, and several sources into a directory.
    shell.ok("-put", "-", "putdir/stdin.txt", stdin=b"from stdin\n")
    assert shell.dfs("-cat", "putdir/stdin.txt").stdout == b"from stdin\n"
    (shell.cwd / "a.txt").write_bytes(b"a\n")
    (shell.cwd / "b.txt").write_bytes(b"b\n")
    shell.ok("-copyFromLocal", str(shell.cwd / "a.txt"), str(shell.cwd / "b.txt"), "putdir")
    assert shell.dfs("-cat", "putdir/a.txt", "putdir/b.txt").stdout == b"a\nb\n"
    not_dir = shell.dfs("-put", str(shell.cwd / "a.txt"), str(shell.cwd / "b.txt"), "putdir/a.txt")
    assert not_dir.returncode == 1
    assert not_dir.stderr == b"put: `putdir/a.txt': Is not a directory\n"
    no_local = shell.dfs("-put", str(shell.cwd / "missing"), "putdir")
    assert no_local.returncode == 1
    assert (
        no_local.stderr == f"put: `{shell.cwd / 'missing'}': No such file or directory\n".encode()
    )

    # A local directory goes in recursively; -get brings it back.
    tree = shell.cwd / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "leaf.txt").write_bytes(b"leaf\n")
    shell.ok("-put", str(tree), "putdir")
    assert shell.dfs("-cat", "putdir/tree/sub/leaf.txt").stdout == b"leaf\n"
    back = shell.cwd / "back"
    shell.ok("-get", "putdir/tree", str(back))
    assert (back / "sub" / "leaf.txt").read_bytes() == b"leaf\n"

    # -tail: the last KiB; -text: gunzipped; -checksum: HDFS's composite MD5 of CRC32Cs.
    assert shell.dfs("-tail", "putdir/big.bin").stdout == data[::-1][-1024:]
    assert shell.dfs("-head", "putdir/big.bin").stdout == data[::-1][:1024]
    shell.ok("-put", "-", "putdir/t.gz", stdin=gzip.compress(b"zipped\n" * 3))
    assert shell.dfs("-text", "putdir/t.gz").stdout == b"zipped\n" * 3
    assert shell.dfs("-text", "putdir/a.txt").stdout == b"a\n"
    checksum = shell.ok("-checksum", "putdir/a.txt").rstrip("\n").split("\t")
    assert checksum[:2] == ["putdir/a.txt", "MD5-of-0MD5-of-512CRC32C"]
    assert re.fullmatch(r"[0-9a-f]{56}", checksum[2])
    is_dir = shell.dfs("-cat", "putdir")
    assert (is_dir.returncode, is_dir.stderr) == (1, b"cat: `putdir': Is a directory\n")


def test_rm_rmdir_touchz_test(shell: Shell) -> None:
    shell.ok("-mkdir", "-p", "rmdir/full/inner")
    assert shell.ok("-touchz", "rmdir/empty") == ""
    assert shell.dfs("-test", "-e", "rmdir/empty").returncode == 0
    assert shell.dfs("-test", "-f", "rmdir/empty").returncode == 0
    assert shell.dfs("-test", "-z", "rmdir/empty").returncode == 0
    assert shell.dfs("-test", "-s", "rmdir/empty").returncode == 1
    assert shell.dfs("-test", "-d", "rmdir/empty").returncode == 1
    assert shell.dfs("-test", "-d", "rmdir/full").returncode == 0
    missing = shell.dfs("-test", "-e", "rmdir/missing")
    assert (missing.returncode, missing.stdout, missing.stderr) == (1, b"", b"")
    shell.ok("-put", "-", "rmdir/data", stdin=b"x")
    assert shell.dfs("-test", "-s", "rmdir/data").returncode == 0
    orphan = shell.dfs("-touchz", "rmdir/none/f")
    assert orphan.returncode == 1
    assert orphan.stderr.decode() == (
        f"touchz: `rmdir/none/f': No such file or directory: "
        f"`hdfs://127.0.0.1:{shell.namenode.rpc_port}/user/hadoop/rmdir/none/f'\n"
    )
    nonzero = shell.dfs("-touchz", "rmdir/data")
    assert nonzero.stderr == b"touchz: `rmdir/data': Not a zero-length file\n"

    busy = shell.dfs("-rmdir", "rmdir/full")
    assert (busy.returncode, busy.stderr) == (1, b"rmdir: `rmdir/full': Directory is not empty\n")
    shell.ok("-rmdir", "rmdir/full/inner")
    assert shell.dfs("-test", "-e", "rmdir/full/inner").returncode == 1

    assert shell.ok("-rm", "rmdir/empty") == "Deleted rmdir/empty\n"
    # With fs.trash.interval set, -rm moves to the trash (and -skipTrash does not).
    shell.ok("-touchz", "rmdir/trashed")
    trashed = shell.run("dfs", "-D", "fs.trash.interval=60", "-rm", "rmdir/trashed")
    authority = f"hdfs://127.0.0.1:{shell.namenode.rpc_port}"
    assert trashed.stdout.decode() == (
        f"Moved: '{authority}/user/hadoop/rmdir/trashed' to trash at: "
        f"{authority}/user/hadoop/.Trash/Current/user/hadoop/rmdir/trashed\n"
    )
    assert shell.dfs("-test", "-e", ".Trash/Current/user/hadoop/rmdir/trashed").returncode == 0
    shell.ok("-rm", "-r", ".Trash")
    directory = shell.dfs("-rm", "rmdir/full")
    assert (directory.returncode, directory.stderr) == (1, b"rm: `rmdir/full': Is a directory\n")
    absent = shell.dfs("-rm", "rmdir/absent")
    assert absent.stderr == b"rm: `rmdir/absent': No such file or directory\n"
    assert absent.returncode == 1
    quiet = shell.dfs("-rm", "-f", "rmdir/absent", "rmdir/nomatch*")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, b"", b"")
    assert shell.ok("-rm", "-r", "-skipTrash", "/user/hadoop/rmdir") == (
        "Deleted /user/hadoop/rmdir\n"
    )
    assert shell.dfs("-test", "-e", "rmdir").returncode == 1


def test_cp_mv_and_globs(shell: Shell) -> None:
    shell.ok("-mkdir", "-p", "globs/in", "globs/out")
    for name in ("a1.txt", "a2.txt", "b1.txt", "c.log"):
        shell.ok("-put", "-", f"globs/in/{name}", stdin=name.encode())
    assert shell.ok("-ls", "-C", "globs/in/a*") == "globs/in/a1.txt\nglobs/in/a2.txt\n"
    assert shell.ok("-ls", "-C", "globs/in/?1.txt") == "globs/in/a1.txt\nglobs/in/b1.txt\n"
    assert shell.ok("-ls", "-C", "/user/hadoop/globs/in/[bc]*") == (
        "/user/hadoop/globs/in/b1.txt\n/user/hadoop/globs/in/c.log\n"
    )
    assert shell.ok("-ls", "-C", "hdfs:///user/hadoop/globs/*/{a2,c}.*") == (
        "hdfs:///user/hadoop/globs/in/a2.txt\nhdfs:///user/hadoop/globs/in/c.log\n"
    )
    nomatch = shell.dfs("-ls", "globs/in/z*")
    assert nomatch.returncode == 1
    assert nomatch.stderr == b"ls: `globs/in/z*': No such file or directory\n"
    assert shell.dfs("-cat", "globs/in/*.txt").stdout == b"a1.txta2.txtb1.txt"

    shell.ok("-cp", "globs/in/*.txt", "globs/out")
    assert shell.ok("-ls", "-C", "globs/out") == (
        "globs/out/a1.txt\nglobs/out/a2.txt\nglobs/out/b1.txt\n"
    )
    clash = shell.dfs("-cp", "globs/in/c.log", "globs/out/a1.txt")
    assert (clash.returncode, clash.stderr) == (1, b"cp: `globs/out/a1.txt': File exists\n")
    shell.ok("-cp", "-f", "globs/in/c.log", "globs/out/a1.txt")
    assert shell.dfs("-cat", "globs/out/a1.txt").stdout == b"c.log"
    shell.ok("-cp", "globs/in", "globs/copy")
    assert shell.ok("-ls", "-C", "globs/copy").count("\n") == 4
    into_itself = shell.dfs("-cp", "globs/in", "globs/in/deeper")
    assert into_itself.returncode == 1
    assert into_itself.stderr == (
        b"cp: `globs/in' to `globs/in/deeper': is a subdirectory of itself\n"
    )

    shell.ok("-mv", "globs/out/b1.txt", "globs/moved.txt")
    assert shell.dfs("-test", "-e", "globs/out/b1.txt").returncode == 1
    assert shell.dfs("-cat", "globs/moved.txt").stdout == b"b1.txt"
    shell.ok("-mv", "globs/copy", "globs/out")
    assert shell.dfs("-test", "-d", "globs/out/copy").returncode == 0
    taken = shell.dfs("-mv", "globs/moved.txt", "globs/out/a1.txt")
    assert (taken.returncode, taken.stderr) == (1, b"mv: `globs/out/a1.txt': File exists\n")
    shell.ok("-put", "-", "globs/sp ace é%20#?.txt", stdin=b"odd name")
    assert shell.dfs("-cat", "globs/sp ace é%20#\\?.txt").stdout == b"odd name"
    assert "globs/sp ace é%20#?.txt" in shell.ok("-ls", "-C", "globs/sp*")
    shell.ok("-rm", "-r", "globs")


def test_setrep_waits_for_replicas(shell: Shell) -> None:
    shell.ok("-mkdir", "rep")
    shell.ok("-put", "-", "rep/f", stdin=os.urandom(2 * BLOCK + 5))
    lower = shell.ok("-setrep", "-w", "1", "rep/f")
    assert lower.startswith("Replication 1 set: rep/f\nWaiting for rep/f ...")
    assert lower.endswith(" done\n")
    assert shell.ok("-stat", "%r", "rep/f") == "1\n"
    out = shell.ok("-setrep", "-w", "2", "rep")
    assert out.startswith("Replication 2 set: rep/f\nWaiting for rep/f ...")
    assert out.endswith(" done\n")
    assert shell.ok("-stat", "%r", "rep/f") == "2\n"
    bad = shell.dfs("-setrep", "0", "rep/f")
    assert bad.returncode == 255
    assert bad.stderr.decode().startswith("-setrep: replication must be >= 1\n")


def test_chmod_chown_chgrp_stat(shell: Shell) -> None:
    shell.ok("-mkdir", "-p", "perm/sub")
    shell.ok("-touchz", "perm/f", "perm/sub/g")
    shell.ok("-chmod", "640", "perm/f")
    assert shell.ok("-stat", "%a %A", "perm/f") == "640 rw-r-----\n"
    shell.ok("-chmod", "u+x,g+w,o=r", "perm/f")
    assert shell.ok("-stat", "%a %A", "perm/f") == "764 rwxrw-r--\n"
    shell.ok("-chmod", "-R", "go-rwx", "perm")
    assert shell.ok("-stat", "%a", "perm", "perm/sub", "perm/sub/g") == "700\n700\n600\n"
    shell.ok("-chmod", "1777", "perm/sub")
    assert shell.ok("-stat", "%A %F", "perm/sub") == "rwxrwxrwt directory\n"
    bad = shell.dfs("-chmod", "q+z", "perm/f")
    assert bad.returncode == 255
    assert bad.stderr.decode().splitlines()[0] == (
        "-chmod: chmod : mode 'q+z' does not match the expected pattern."
    )

    denied = shell.dfs("-chown", "alice", "perm/f")
    assert denied.returncode == 1
    assert denied.stderr.startswith(b"chown: ")
    superuser = shell.run("dfs", "-chown", "-R", "alice:staff", "/user/hadoop/perm", user="hdfs")
    assert superuser.returncode == 0, superuser.stderr
    stat = shell.run("dfs", "-stat", "%u %g", "/user/hadoop/perm/sub/g", user="hdfs")
    assert stat.stdout == b"alice staff\n"
    assert shell.run("dfs", "-chgrp", "wheel", "/user/hadoop/perm/f", user="hdfs").returncode == 0
    stat = shell.run("dfs", "-stat", "%u:%g", "/user/hadoop/perm/f", user="hdfs")
    assert stat.stdout == b"alice:wheel\n"
    hidden = shell.dfs("-stat", "perm/f")
    assert hidden.returncode == 1
    assert hidden.stderr == (
        b'stat: Permission denied: user=hadoop, access=EXECUTE, inode="/user/hadoop/perm"'
        b":alice:staff:drwx------\n"
    )
    forbidden = shell.dfs("-rm", "-r", "perm")
    assert forbidden.returncode == 1
    assert b"Permission denied" in forbidden.stderr
    assert shell.run("dfs", "-rm", "-r", "/user/hadoop/perm", user="hdfs").returncode == 0

    shell.ok("-touchz", "stamp")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n", shell.ok("-stat", "stamp"))
    shell.ok("-rm", "stamp")


def test_du_count_df(shell: Shell) -> None:
    shell.ok("-mkdir", "-p", "usage/d")
    shell.ok("-put", "-", "usage/d/one", stdin=b"x" * 1536)
    shell.ok("-put", "-", "usage/two", stdin=b"y" * 100)
    assert shell.ok("-du", "usage").splitlines() == ["1536  3072  usage/d", "100   200   usage/two"]
    assert shell.ok("-du", "-s", "-h", "usage") == "1.6 K  3.2 K  usage\n"
    assert shell.ok("-du", "-s", "-v", "usage").splitlines() == [
        "SIZE  DISK_SPACE_CONSUMED_WITH_ALL_REPLICAS  FULL_PATH_NAME",
        "1636  3272                                   usage",
    ]
    assert shell.ok("-count", "-u", "-v", "usage").splitlines() == [
        "       QUOTA       REM_QUOTA     SPACE_QUOTA REM_SPACE_QUOTA PATHNAME",
        "        none             inf            none             inf usage",
    ]
    assert shell.ok("-count", "usage") == f"{2:>12} {2:>12} {1636:>18} usage\n"
    assert shell.ok("-count", "-v", "-h", "usage/d").splitlines() == [
        "   DIR_COUNT   FILE_COUNT       CONTENT_SIZE PATHNAME",
        f"{1:>12} {1:>12} {'1.5 K':>18} usage/d",
    ]
    quotas = shell.ok("-count", "-q", "usage").rstrip("\n")
    assert quotas == (
        f"{'none':>12} {'inf':>15} {'none':>15} {'inf':>15} {2:>12} {2:>12} {1636:>18} usage"
    )
    hdfs = shell.ok("-df", "/").splitlines()
    assert hdfs[0].split() == ["Filesystem", "Size", "Used", "Available", "Use%"]
    assert re.fullmatch(
        rf"hdfs://127\.0\.0\.1:{shell.namenode.rpc_port} +\d+ +\d+ +\d+ +\d+%", hdfs[1]
    ), hdfs
    local = shell.ok("-df", "-h", "file:///")
    assert local.splitlines()[0].split() == ["Filesystem", "Size", "Used", "Available", "Use%"]
    shell.ok("-rm", "-r", "usage")


def test_getmerge_append_move_from_local(shell: Shell) -> None:
    shell.ok("-mkdir", "merge")
    for name, body in (("p1", b"one"), ("p2", b""), ("p3", b"three")):
        shell.ok("-put", "-", f"merge/{name}", stdin=body)
    merged = shell.cwd / "merged.txt"
    shell.ok("-getmerge", "-nl", "merge", str(merged))
    assert merged.read_bytes() == b"one\n\nthree\n"
    shell.ok("-getmerge", "-nl", "-skip-empty-file", "merge/p*", str(merged))
    assert merged.read_bytes() == b"one\nthree\n"

    part = shell.cwd / "part.txt"
    part.write_bytes(b"local\n")
    shell.ok("-appendToFile", str(part), "-", "merge/log", stdin=b"stdin\n")
    shell.ok("-appendToFile", str(part), "merge/log")
    assert shell.dfs("-cat", "merge/log").stdout == b"local\nstdin\nlocal\n"

    shell.ok("-moveFromLocal", str(part), "merge/moved")
    assert not part.exists()
    assert shell.dfs("-cat", "merge/moved").stdout == b"local\n"
    shell.ok("-rm", "-r", "merge")


def test_usage_errors_and_other_subcommands(shell: Shell) -> None:
    unknown = shell.dfs("-frobnicate")
    assert unknown.returncode == 255
    lines = unknown.stderr.decode().splitlines()
    assert lines[:2] == ["-frobnicate: Unknown command", "Usage: hadoop fs [generic options]"]
    assert "\t[-ls [-C] [-d] [-h] [-q] [-R] [-t] [-S] [-r] [-u] [-e] [<path> ...]]" in lines
    assert "Did you mean" not in unknown.stderr.decode()
    dashless = shell.dfs("ls", "/")
    assert dashless.returncode == 255
    assert dashless.stderr.decode().splitlines()[:3] == [
        "ls: Unknown command",
        "Did you mean -ls?  This command begins with a dash.",
        "Usage: hadoop fs [generic options]",
    ]
    illegal = shell.dfs("-ls", "-x")
    assert illegal.returncode == 255
    lines = illegal.stderr.decode().splitlines()
    assert lines[:2] == ["-ls: Illegal option -x", "Usage: hadoop fs [generic options]"]
    assert lines[-1] == (
        "Usage: hadoop fs [generic options] -ls [-C] [-d] [-h] [-q] [-R] [-t] [-S] [-r] [-u] "
        "[-e] [<path> ...]"
    )
    bundled = shell.dfs("-rm", "-rf", "x")
    assert bundled.returncode == 255
    assert bundled.stderr.decode().startswith("-rm: Illegal option -rf\n")
    too_few = shell.dfs("-mkdir")
    assert too_few.returncode == 255
    assert too_few.stderr.decode().startswith(
        "-mkdir: Not enough arguments: expected 1 but got 0\n"
    )
    no_flag = shell.dfs("-test", "x")
    assert (no_flag.returncode, no_flag.stderr.decode().splitlines()[0]) == (
        255, "-test: No test flag given")  # fmt: skip
    assert shell.dfs().returncode == 255

    usage = shell.ok("-usage", "mkdir")
    assert usage == "Usage: hadoop fs [generic options] -mkdir [-p] <path> ...\n"
    bad_help = shell.dfs("-help", "nosuch")
    assert bad_help.returncode == 255
    assert bad_help.stderr.decode().startswith("-help: `nosuch': Unknown command\n")
    assert shell.ok("-help", "rm").startswith(
        "-rm [-f] [-r|-R] [-skipTrash] [-safely] <src> ... :\n"
    )

    fs = shell.run("fs", "-ls", "-C", "/", tool="hadoop")
    assert (fs.returncode, fs.stdout) == (0, b"/tmp\n/user\n")
    deprecated = shell.run("dfs", "-ls", "-C", "/", tool="hadoop")
    assert deprecated.stdout == b"/tmp\n/user\n"
    assert b"deprecated" in deprecated.stderr
    # Generic options: -D before the command.
    generic = shell.run("dfs", "-D", "fs.defaultFS=file:///", "-ls", "-d", "-C", "/tmp")
    assert generic.stdout == b"/tmp\n"

    refused = shell.dfs("-ls", "hdfs://127.0.0.1:1/")
    assert refused.returncode == 1
    assert refused.stderr.decode().startswith("ls: Call From ")
    assert refused.stderr.decode().endswith(
        " to 127.0.0.1:1 failed on connection exception: java.net.ConnectException: Connection"
        " refused; For more details see:  http://wiki.apache.org/hadoop/ConnectionRefused\n"
    )

    classpath = shell.run("classpath", tool="hadoop")
    assert classpath.stdout.decode() == shell.env["HADOOP_CONF_DIR"] + "\n"
    version = shell.run("version", tool="hadoop")
    assert version.returncode == 0
    assert re.match(r"^Hadoop (\S+)", version.stdout.decode())[1] == HADOOP_VERSION  # type: ignore[index]
    assert shell.run("version").stdout.startswith(f"Hadoop {HADOOP_VERSION}\n".encode())
    assert shell.run("getconf", "-confKey", "dfs.replication").stdout == b"2\n"
    assert shell.run("getconf", "-namenodes").stdout == b"127.0.0.1\n"
    assert shell.run("getconf", "-confKey", "no.such.key").returncode == 1
    for tool, args in (("hdfs", ["nosuch"]), ("hadoop", ["nosuch"]), ("hadoop", ["jar", "x.jar"])):
        done = shell.run(*args, tool=tool)
        assert done.returncode == 1, (tool, args)
    assert shell.run("jar", "x.jar", tool="hadoop").stderr == (
        b"hadoop: not available yet on this platform\n"
    )


def test_cp_between_s3_and_hdfs(shell: Shell, region: RunningServer) -> None:
    s3 = region.client("s3")
    bucket = f"shell-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    data = os.urandom(3 * BLOCK + 11)
    s3.put_object(Bucket=bucket, Key="in/data.bin", Body=data)
    env = {**shell.env, **region.env}
    s3_shell = Shell(env, shell.namenode, shell.cwd)

    assert set(ls_rows(s3_shell.ok("-ls", f"s3://{bucket}/"))) == {f"s3://{bucket}/in"}
    rows = ls_rows(s3_shell.ok("-ls", f"s3a://{bucket}/in"))
    assert rows[f"s3a://{bucket}/in/data.bin"]["size"] == str(len(data))
    s3_shell.ok("-mkdir", "s3copy")
    s3_shell.ok("-cp", f"s3://{bucket}/in/data.bin", "hdfs:///user/hadoop/s3copy/")
    assert s3_shell.dfs("-cat", "s3copy/data.bin").stdout == data
    s3_shell.ok("-cp", "s3copy/data.bin", f"s3://{bucket}/out/back.bin")
    assert s3.get_object(Bucket=bucket, Key="out/back.bin")["Body"].read() == data
    s3_shell.ok("-cp", "s3copy", f"s3a://{bucket}/tree")
    assert s3.get_object(Bucket=bucket, Key="tree/data.bin")["Body"].read() == data
    assert s3_shell.ok("-ls", "-C", f"s3://{bucket}/*/*.bin") == (
        f"s3://{bucket}/in/data.bin\ns3://{bucket}/out/back.bin\ns3://{bucket}/tree/data.bin\n"
    )
    assert s3_shell.ok("-du", "-s", f"s3://{bucket}/tree") == (
        f"{len(data)}  {len(data)}  s3://{bucket}/tree\n"
    )
    assert s3_shell.ok("-rm", "-r", f"s3://{bucket}/tree") == f"Deleted s3://{bucket}/tree\n"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="tree/")
    missing = s3_shell.dfs("-cat", f"s3://{bucket}/nope")
    assert missing.returncode == 1
    assert missing.stderr == f"cat: `s3://{bucket}/nope': No such file or directory\n".encode()
    s3_shell.ok("-rm", "-r", "s3copy")
