"""The NameNode daemon as a process: WebHDFS metadata ops, redirects, the DataNode protocol,
re-replication, edit-log durability across kill -9, clean shutdown."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emr.hdfs import protocol as p
from tests.integration.nodedir import TOKEN

from .conftest import DatanodeDriver, NameNodeProcess

pytestmark = pytest.mark.timeout(60)


def webhdfs(
    nn: NameNodeProcess, method: str, path: str, op: str, user: str = "alice", **params: Any
) -> httpx.Response:
    query = {"op": op, "user.name": user, **{k: str(v) for k, v in params.items()}}
    return httpx.request(
        method, f"{nn.url}/webhdfs/v1{path}", params=query, timeout=10, follow_redirects=False
    )


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert "application/json" not in response.headers.get("content-type", "")
    return response.json() if response.content else None


def remote(response: httpx.Response, status: int) -> dict[str, str]:
    body = ok(response, status)
    exception: dict[str, str] = body["RemoteException"]
    return exception


def write_file(dn: DatanodeDriver, path: str, data_len: int, user: str = "hdfs") -> p.BlockModel:
    client = f"webhdfs-{path}"
    call = {"path": path, "user": user, "client": client}
    dn.call("create", {**call, "overwrite": True})
    located = p.LocatedBlock.model_validate(
        dn.call("add-block", {**call, "writer": dn.datanode_id})
    )
    assert located.locations == [dn.datanode_id]
    block = p.BlockModel(
        block_id=located.block.block_id,
        generation_stamp=located.block.generation_stamp,
        num_bytes=data_len,
    )
    dn.received(block)
    assert dn.call("complete", {**call, "last": block.model_dump()}) == {"complete": True}
    return block


def test_metadata_round_trip(namenode: NameNodeProcess) -> None:
    assert ok(webhdfs(namenode, "PUT", "/user/alice/d ü%=x", "MKDIRS", user="hdfs")) == {
        "boolean": True
    }
    assert (
        ok(webhdfs(namenode, "PUT", "/user/alice", "SETOWNER", user="hdfs", owner="alice")) is None
    )
    ok(webhdfs(namenode, "PUT", "/user/alice/d ü%=x", "SETOWNER", user="hdfs", owner="alice"))
    status = ok(webhdfs(namenode, "GET", "/user/alice/d ü%=x", "GETFILESTATUS"))["FileStatus"]
    assert set(status) == {
        "accessTime", "blockSize", "childrenNum", "fileId", "group", "length",
        "modificationTime", "owner", "pathSuffix", "permission", "replication",
        "storagePolicy", "type",
    }  # fmt: skip
    assert (status["type"], status["owner"], status["permission"], status["pathSuffix"]) == (
        "DIRECTORY", "alice", "755", "",
    )  # fmt: skip
    assert (
        ok(webhdfs(namenode, "GET", "/user/alice/d ü%=x", "GETFILELINKSTATUS"))["FileStatus"][
            "fileId"
        ]
        == status["fileId"]
    )
    listing = ok(webhdfs(namenode, "GET", "/user/alice", "LISTSTATUS"))
    assert [s["pathSuffix"] for s in listing["FileStatuses"]["FileStatus"]] == ["d ü%=x"]
    batch = ok(webhdfs(namenode, "GET", "/user/alice", "LISTSTATUS_BATCH"))
    assert batch["DirectoryListing"]["remainingEntries"] == 0
    # FileSystem rename → boolean; FileContext rename → empty 200; errors as RemoteException.
    assert ok(
        webhdfs(namenode, "PUT", "/user/alice/d ü%=x", "RENAME", destination="/user/alice/e")
    ) == {"boolean": True}
    assert ok(
        webhdfs(namenode, "PUT", "/user/alice/missing", "RENAME", destination="/user/alice/f")
    ) == {"boolean": False}
    ok(webhdfs(namenode, "PUT", "/user/alice/f", "MKDIRS"))
    exc = remote(
        webhdfs(
            namenode, "PUT", "/user/alice/e", "RENAME", destination="/user/alice/f",
            renameoptions="NONE",
        ),
        403,
    )  # fmt: skip
    assert exc["exception"] == "FileAlreadyExistsException"
    assert ok(
        webhdfs(
            namenode, "PUT", "/user/alice/e", "RENAME", destination="/user/alice/f",
            renameoptions="OVERWRITE",
        )
    ) is None  # fmt: skip
    summary = ok(webhdfs(namenode, "GET", "/user", "GETCONTENTSUMMARY"))["ContentSummary"]
    # /user, /user/hadoop (made at format, as EMR's HDFS has it) and the test's two.
    assert (summary["directoryCount"], summary["fileCount"]) == (4, 0)
    assert ok(webhdfs(namenode, "GET", "/", "GETHOMEDIRECTORY")) == {"Path": "/user/alice"}
    defaults = ok(webhdfs(namenode, "GET", "/", "GETSERVERDEFAULTS"))["FsServerDefaults"]
    assert (defaults["blockSize"], defaults["checksumType"]) == (1024, 2)  # CRC32C's id
    ok(webhdfs(namenode, "PUT", "/user/alice/f", "SETPERMISSION", permission="700"))
    ok(webhdfs(namenode, "PUT", "/user/alice/f", "SETTIMES", modificationtime=1000))
    status = ok(webhdfs(namenode, "GET", "/user/alice/f", "GETFILESTATUS"))["FileStatus"]
    assert (status["permission"], status["modificationTime"]) == ("700", 1000)
    exc = remote(webhdfs(namenode, "GET", "/nope", "GETFILESTATUS"), 404)
    assert exc == {
        "exception": "FileNotFoundException",
        "javaClassName": "java.io.FileNotFoundException",
        "message": "File does not exist: /nope",
    }
    assert ok(webhdfs(namenode, "DELETE", "/user/alice/f", "DELETE", recursive="true")) == {
        "boolean": True
    }
    assert ok(webhdfs(namenode, "DELETE", "/user/alice/f", "DELETE")) == {"boolean": False}


def test_bad_requests(namenode: NameNodeProcess) -> None:
    exc = remote(webhdfs(namenode, "GET", "/", "FOO"), 400)
    assert exc["exception"] == "IllegalArgumentException"
    assert exc["message"] == (
        'Invalid value for webhdfs parameter "op": No enum constant '
        "org.apache.hadoop.hdfs.web.resources.GetOpParam.Op.FOO"
    )
    exc = remote(webhdfs(namenode, "PUT", "/x", "MKDIRS", permission="999"), 400)
    assert exc["exception"] == "IllegalArgumentException"
    exc = remote(webhdfs(namenode, "PUT", "/x", "SETREPLICATION", replication="two"), 400)
    assert exc["exception"] == "IllegalArgumentException"


def test_permissions_of_two_users(namenode: NameNodeProcess) -> None:
    ok(webhdfs(namenode, "PUT", "/private", "MKDIRS", user="hdfs", permission="700"))
    exc = remote(webhdfs(namenode, "PUT", "/private/x", "MKDIRS", user="bob"), 403)
    assert exc["exception"] == "AccessControlException"
    assert exc["message"].startswith("Permission denied: user=bob, access=")
    # A sticky directory: bob may not delete what alice created there; alice may.
    ok(webhdfs(namenode, "PUT", "/shared", "MKDIRS", user="hdfs", permission="1777"))
    ok(webhdfs(namenode, "PUT", "/shared/alice", "MKDIRS", user="alice"))
    exc = remote(webhdfs(namenode, "DELETE", "/shared/alice", "DELETE", user="bob"), 403)
    assert exc["exception"] == "AccessControlException"
    assert ok(webhdfs(namenode, "DELETE", "/shared/alice", "DELETE", user="alice")) == {
        "boolean": True
    }


def test_create_redirects_to_a_registered_datanode(
    namenode: NameNodeProcess, dn_client: httpx.Client
) -> None:
    exc = remote(webhdfs(namenode, "PUT", "/f", "CREATE"), 403)
    assert exc == {
        "exception": "IOException",
        "javaClassName": "java.io.IOException",
        "message": "Failed to find datanode, suggest to check cluster health.",
    }
    DatanodeDriver(dn_client, "127.0.0.1:19864").register()
    response = webhdfs(namenode, "PUT", "/dir/f ü", "CREATE", overwrite="true", permission="600")
    assert response.status_code == 307
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc) == ("http", "127.0.0.1:19864")
    assert location.path == "/webhdfs/v1/dir/f%20%C3%BC"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query == {
        "op": "CREATE",
        "namenoderpcaddress": f"127.0.0.1:{namenode.rpc_port}",
        "user.name": "alice",
        "overwrite": "true",
        "replication": "1",
        "blocksize": "1024",
        "permission": "600",
    }


def test_a_call_right_after_create_waits_for_the_datanode(
    namenode: NameNodeProcess, dn_client: httpx.Client
) -> None:
    """Hadoop's FileSystem.create(fs, path, permission) sets the permission as soon as create()
    returns, which can reach the NameNode before the DataNode's create: it waits for it."""
    dn = DatanodeDriver(dn_client, "127.0.0.1:19864")
    dn.register()
    assert webhdfs(namenode, "PUT", "/racy", "CREATE", user="hdfs").status_code == 307
    with ThreadPoolExecutor(1) as pool:
        early = pool.submit(
            webhdfs, namenode, "PUT", "/racy", "SETPERMISSION", "hdfs", permission="640"
        )
        time.sleep(0.3)
        assert not early.done()  # waiting for the DataNode's create
        dn.call("create", {"path": "/racy", "user": "hdfs", "client": "c", "overwrite": True})
        assert ok(early.result(timeout=10)) is None
    status = ok(webhdfs(namenode, "GET", "/racy", "GETFILESTATUS"))["FileStatus"]
    assert status["permission"] == "640"
    # Without a create on the way, a missing path is missing at once.
    assert remote(webhdfs(namenode, "PUT", "/other", "SETPERMISSION", "hdfs"), 404)


def test_datanode_protocol_writes_a_file(
    namenode: NameNodeProcess, dn_client: httpx.Client
) -> None:
    unauthorized = httpx.post(f"{namenode.url}/_dn/v1/register", content="{}", timeout=10)
    assert unauthorized.status_code == 401
    dn = DatanodeDriver(dn_client, "127.0.0.1:19864")
    dn.register()
    ok(webhdfs(namenode, "PUT", "/data", "MKDIRS", user="hdfs", permission="777"))
    block = write_file(dn, "/data/f", 700, user="alice")
    status = ok(webhdfs(namenode, "GET", "/data/f", "GETFILESTATUS"))["FileStatus"]
    assert (status["type"], status["length"], status["owner"]) == ("FILE", 700, "alice")
    locations = ok(webhdfs(namenode, "GET", "/data/f", "GETFILEBLOCKLOCATIONS"))
    assert locations["BlockLocations"]["BlockLocation"] == [
        {
            "cachedHosts": [],
            "corrupt": False,
            "hosts": ["127.0.0.1"],
            "length": 700,
            "names": ["127.0.0.1:19864"],
            "offset": 0,
            "storageTypes": ["DISK"],
            "topologyPaths": ["/default-rack/127.0.0.1:19864"],
        }
    ]
    response = webhdfs(namenode, "GET", "/data/f", "OPEN", offset=10)
    assert response.status_code == 307
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert urlsplit(response.headers["location"]).netloc == "127.0.0.1:19864"
    assert query["offset"] == ["10"]
    response = webhdfs(namenode, "GET", "/data/f", "GETFILECHECKSUM")
    assert response.status_code == 307
    assert urlsplit(response.headers["location"]).netloc == "127.0.0.1:19864"
    answer = p.BlockLocations.model_validate(
        dn.call("block-locations", {"path": "/data/f", "user": "alice", "client": "c"})
    )
    assert answer.file_length == 700
    assert [b.block for b in answer.blocks] == [block]
    # Deleting the file tells the DataNode to drop its replica.
    assert ok(webhdfs(namenode, "DELETE", "/data/f", "DELETE")) == {"boolean": True}
    commands = dn.heartbeat().commands
    assert [c.kind for c in commands] == ["delete"]


def test_dead_datanode_blocks_are_rereplicated(namenode_factory: Any, tmp_path: Path) -> None:
    nn: NameNodeProcess = namenode_factory(
        args=["--tick", "0.2", "--heartbeat-timeout", "1.5"], site={"dfs.replication": "1"}
    )
    with httpx.Client(
        base_url=nn.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as client:
        first = DatanodeDriver(client, "127.0.0.1:20001")
        second = DatanodeDriver(client, "127.0.0.1:20002")
        third = DatanodeDriver(client, "127.0.0.1:20003")
        for dn in (first, second, third):
            dn.register()
        block = write_file(first, "/r", 100)
        ok(webhdfs(nn, "PUT", "/r", "SETREPLICATION", user="hdfs", replication=2))
        # The copy to a second node is decided at the next tick, for the node with the replica.
        deadline = time.monotonic() + 10
        replicate: list[p.Command] = []
        while time.monotonic() < deadline and not replicate:
            replicate = [c for c in first.heartbeat().commands if c.kind == "replicate"]
            second.heartbeat()
            third.heartbeat()
            time.sleep(0.2)
        assert replicate, nn.log()
        command = replicate[0]
        assert isinstance(command, p.ReplicateCommand)
        target = {"127.0.0.1:20002": second, "127.0.0.1:20003": third}[command.targets[0]]
        target.received(block)
        # The first node falls silent: its replica must be copied from the target elsewhere.
        deadline = time.monotonic() + 15
        found: list[p.Command] = []
        while time.monotonic() < deadline and not found:
            found = [c for c in target.heartbeat().commands if c.kind == "replicate"]
            for other in (second, third):
                if other is not target:
                    other.heartbeat()
            time.sleep(0.2)
        assert found, nn.log()
        assert isinstance(found[0], p.ReplicateCommand)
        assert found[0].block == block
        assert "127.0.0.1:20001" not in found[0].targets
    assert nn.stop() == 0


def test_safe_mode_and_kill_9_durability(namenode_factory: Any) -> None:
    nn: NameNodeProcess = namenode_factory()
    with httpx.Client(
        base_url=nn.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as client:
        dn = DatanodeDriver(client, "127.0.0.1:19864")
        dn.register()
        assert client.get("/_dn/v1/status").json() == {
            "safe_mode": False,
            "live_datanodes": 1,
            "expected_datanodes": 2,
        }
        ok(webhdfs(nn, "PUT", "/kept/dir", "MKDIRS", user="hdfs"))
        block = write_file(dn, "/kept/file", 300)
    nn.stop(signal.SIGKILL)
    nn.start()
    with httpx.Client(
        base_url=nn.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as client:
        # One block known and none reported: safe mode, and mutations are refused.
        assert client.get("/_dn/v1/status").json()["safe_mode"] is True
        exc = remote(webhdfs(nn, "PUT", "/x", "MKDIRS"), 403)
        assert exc["exception"] == "SafeModeException"
        assert exc["message"].startswith("Cannot create directory /x. Name node is in safe mode.")
        assert ok(webhdfs(nn, "GET", "/kept/dir", "GETFILESTATUS"))["FileStatus"]["type"] == (
            "DIRECTORY"
        )
        status = ok(webhdfs(nn, "GET", "/kept/file", "GETFILESTATUS"))["FileStatus"]
        assert status["length"] == 300
        dn = DatanodeDriver(client, "127.0.0.1:19864", {block.block_id: block})
        assert [c.kind for c in dn.heartbeat().commands] == ["reregister"]
        dn.register()
        assert client.get("/_dn/v1/status").json()["safe_mode"] is False
        ok(webhdfs(nn, "PUT", "/x", "MKDIRS", user="hdfs"))


def test_sigterm_exits_0_with_a_checkpoint(namenode: NameNodeProcess) -> None:
    ok(webhdfs(namenode, "PUT", "/a/b", "MKDIRS", user="hdfs"))
    assert namenode.stop() == 0
    state = namenode.node_dir / "data" / "namenode"
    assert (state / "fsimage").stat().st_size > 0
    assert (state / "edits_inprogress").read_bytes() == b""
    namenode.start()
    assert ok(webhdfs(namenode, "GET", "/a/b", "GETFILESTATUS"))["FileStatus"]["type"] == (
        "DIRECTORY"
    )
    # The fs.defaultFS port serves the same app.
    rpc = httpx.get(
        f"http://127.0.0.1:{namenode.rpc_port}/webhdfs/v1/a?op=LISTSTATUS&user.name=x", timeout=10
    )
    assert ok(rpc)["FileStatuses"]["FileStatus"][0]["pathSuffix"] == "b"


def test_append_concat_truncate(namenode: NameNodeProcess, dn_client: httpx.Client) -> None:
    dn = DatanodeDriver(dn_client, "127.0.0.1:19864")
    dn.register()
    first = write_file(dn, "/c/a", 300)
    write_file(dn, "/c/b", 200)
    response = webhdfs(namenode, "POST", "/c/a", "APPEND", user="hdfs")
    assert response.status_code == 307
    assert parse_qs(urlsplit(response.headers["location"]).query)["op"] == ["APPEND"]
    call = {"path": "/c/a", "user": "hdfs", "client": "appender"}
    answer = p.AppendAnswer.model_validate(dn.call("append", {**call, "writer": dn.datanode_id}))
    assert answer.file_length == 300
    assert answer.last_block is not None
    assert answer.last_block.locations == [dn.datanode_id]
    assert answer.last_block.block.block_id == first.block_id
    assert answer.last_block.block.generation_stamp > first.generation_stamp
    grown = answer.last_block.block.model_copy(update={"num_bytes": 400})
    dn.received(grown)
    dn.call("complete", {**call, "last": grown.model_dump()})
    assert ok(webhdfs(namenode, "GET", "/c/a", "GETFILESTATUS"))["FileStatus"]["length"] == 400
    assert ok(webhdfs(namenode, "POST", "/c/a", "CONCAT", user="hdfs", sources="/c/b")) is None
    assert ok(webhdfs(namenode, "GET", "/c/a", "GETFILESTATUS"))["FileStatus"]["length"] == 600
    remote(webhdfs(namenode, "GET", "/c/b", "GETFILESTATUS"), 404)
    assert ok(webhdfs(namenode, "POST", "/c/a", "TRUNCATE", user="hdfs", newlength=400)) == {
        "boolean": True
    }
    assert ok(webhdfs(namenode, "GET", "/c/a", "GETFILESTATUS"))["FileStatus"]["length"] == 400
    # The dropped block's replica is deleted at the DataNode's next heartbeat.
    assert [c.kind for c in dn.heartbeat().commands] == ["delete"]
    # Inside a block: the holder is told to cut its replica; its report closes the file.
    assert ok(webhdfs(namenode, "POST", "/c/a", "TRUNCATE", user="hdfs", newlength=100)) == {
        "boolean": False
    }
    (cut,) = dn.heartbeat().commands
    assert isinstance(cut, p.TruncateCommand)
    assert (cut.block.block_id, cut.new_length) == (first.block_id, 100)
    assert cut.new_generation_stamp > cut.block.generation_stamp
    assert open_for_write(dn, "/c/a")
    dn.received(p.BlockModel(block_id=first.block_id, generation_stamp=cut.new_generation_stamp,
                             num_bytes=100))  # fmt: skip
    deadline = time.monotonic() + 10
    while open_for_write(dn, "/c/a"):
        assert time.monotonic() < deadline, "the truncated file was not closed"
        time.sleep(0.1)
    assert ok(webhdfs(namenode, "GET", "/c/a", "GETFILESTATUS"))["FileStatus"]["length"] == 100


def open_for_write(dn: DatanodeDriver, path: str) -> bool:
    located = dn.call("block-locations", {"path": path, "user": "hdfs", "client": "test"})
    return bool(located["under_construction"])


def test_checkpoint_every_n_edits(namenode_factory: Any) -> None:
    nn: NameNodeProcess = namenode_factory(args=["--tick", "0.2", "--checkpoint-every", "3"])
    for name in "abcd":
        ok(webhdfs(nn, "PUT", f"/{name}", "MKDIRS", user="hdfs"))
    state = nn.node_dir / "data" / "namenode"
    assert (state / "fsimage").exists()
    assert len((state / "edits_inprogress").read_bytes().splitlines()) == 1
    nn.stop(signal.SIGKILL)
    nn.start()
    listing = ok(webhdfs(nn, "GET", "/", "LISTSTATUS"))["FileStatuses"]["FileStatus"]
    assert [s["pathSuffix"] for s in listing] == ["a", "b", "c", "d", "tmp", "user"]


def test_a_new_namespace_has_emrs_directories(namenode_factory: Any) -> None:
    nn: NameNodeProcess = namenode_factory()
    tmp = ok(webhdfs(nn, "GET", "/tmp", "GETFILESTATUS"))["FileStatus"]
    assert (tmp["permission"], tmp["owner"]) == ("1777", "hdfs")
    home = ok(webhdfs(nn, "GET", "/user/hadoop", "GETFILESTATUS"))["FileStatus"]
    assert (home["owner"], home["group"], home["permission"]) == ("hadoop", "hadoop", "755")
    assert ok(webhdfs(nn, "PUT", "/user/hadoop/out", "MKDIRS", user="hadoop")) == {"boolean": True}
