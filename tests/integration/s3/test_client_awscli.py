"""The AWS CLI (v1) against the region's S3: `aws s3` transfers and listings, `aws s3api` calls."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningServer
from tests.integration.s3.conftest import (
    MiB,
    deterministic_bytes,
    unique_bucket_name,
)

pytestmark = pytest.mark.integration

AWS = Path(sys.executable).with_name("aws")


def aws(
    region: RunningServer, *args: str, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the cli as a user would after `eval "$(emr env)"` (it prints paths relative to cwd)."""
    return subprocess.run(
        [str(AWS), *args],
        env=region.cli_env(),
        input=stdin,
        cwd=cwd,
        capture_output=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[bytes]) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def keys_of(s3: Any, bucket: str) -> list[str]:
    return [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ]


def md5_etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest() + '"'


def test_mb_ls_rb(region: RunningServer, s3: Any) -> None:
    name = unique_bucket_name("cli-mb")
    assert ok(aws(region, "s3", "mb", f"s3://{name}")).strip() == f"make_bucket: {name}"
    listed = ok(aws(region, "s3", "ls")).splitlines()
    assert any(line.split()[-1] == name for line in listed), listed

    s3.put_object(Bucket=name, Key="left/behind.txt", Body=b"x")
    refused = aws(region, "s3", "rb", f"s3://{name}")
    assert refused.returncode != 0
    assert b"BucketNotEmpty" in refused.stderr

    forced = ok(aws(region, "s3", "rb", "--force", f"s3://{name}"))
    assert f"delete: s3://{name}/left/behind.txt" in forced
    assert f"remove_bucket: {name}" in forced
    assert not any(line.split()[-1] == name for line in ok(aws(region, "s3", "ls")).splitlines())

    gone = aws(region, "s3", "ls", f"s3://{name}")
    assert gone.returncode != 0
    assert b"NoSuchBucket" in gone.stderr


def test_cp_up_and_down_small_and_multipart(
    region: RunningServer, s3: Any, bucket: str, tmp_path: Path
) -> None:
    small = deterministic_bytes(1500, seed=1)
    large = deterministic_bytes(12 * MiB + 12345, seed=2)  # 8 MiB chunks: two parts
    (tmp_path / "small.txt").write_bytes(small)
    (tmp_path / "large.bin").write_bytes(large)

    out = ok(
        aws(
            region,
            "s3",
            "cp",
            "--no-progress",
            "small.txt",
            f"s3://{bucket}/dir/small.txt",
            cwd=tmp_path,
        )
    )
    assert out.strip() == f"upload: ./small.txt to s3://{bucket}/dir/small.txt"
    ok(aws(region, "s3", "cp", str(tmp_path / "large.bin"), f"s3://{bucket}/dir/large.bin"))

    head_small = s3.head_object(Bucket=bucket, Key="dir/small.txt")
    assert head_small["ContentLength"] == len(small)
    assert head_small["ETag"] == md5_etag(small)
    assert head_small["ContentType"] == "text/plain"  # the cli guesses it from the extension
    head_large = s3.head_object(Bucket=bucket, Key="dir/large.bin")
    assert head_large["ContentLength"] == len(large)
    assert head_large["ETag"].strip('"').endswith("-2"), head_large["ETag"]

    down = tmp_path / "down"
    out = ok(
        aws(
            region,
            "s3",
            "cp",
            "--no-progress",
            f"s3://{bucket}/dir/small.txt",
            "down/small.txt",
            cwd=tmp_path,
        )
    )
    assert out.strip() == f"download: s3://{bucket}/dir/small.txt to down/small.txt"
    ok(aws(region, "s3", "cp", f"s3://{bucket}/dir/large.bin", str(down / "large.bin")))
    assert (down / "small.txt").read_bytes() == small
    assert (down / "large.bin").read_bytes() == large

    # Streams: stdin up, stdout down.
    ok(aws(region, "s3", "cp", "-", f"s3://{bucket}/streamed", stdin=small))
    streamed = aws(region, "s3", "cp", f"s3://{bucket}/streamed", "-")
    assert streamed.returncode == 0, streamed.stderr.decode()
    assert streamed.stdout == small

    # Server-side copy between keys.
    ok(aws(region, "s3", "cp", f"s3://{bucket}/dir/small.txt", f"s3://{bucket}/copy/small.txt"))
    copied = s3.get_object(Bucket=bucket, Key="copy/small.txt")
    assert copied["Body"].read() == small

    missing = aws(region, "s3", "cp", f"s3://{bucket}/no/such/key", str(down / "nothing"))
    assert missing.returncode != 0
    assert b"404" in missing.stderr
    assert not (down / "nothing").exists()


TREE = {
    "top.txt": b"top level\n",
    "empty.dat": b"",
    "nested/one.csv": b"a,b\n1,2\n",
    "nested/deeper/two.bin": deterministic_bytes(70_000, seed=3),
    "nested/deeper/still/three.json": b'{"x": 1}',
    "with space/file name.txt": b"spaces in names\n",
    "ünïcødé/fïlé ✓ 日本.txt": "unicode in names ✓\n".encode(),
}


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def transfer_lines(output: str, verb: str) -> list[str]:
    """The cli's `upload: …`/`delete: …` lines (progress lines end in \\r, not \\n)."""
    return [line for line in re.split(r"[\r\n]", output) if line.startswith(f"{verb}: ")]


def test_sync_tree_up_and_down(region: RunningServer, s3: Any, bucket: str, tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    write_tree(source, TREE)
    remote = f"s3://{bucket}/tree"

    up = ok(aws(region, "s3", "sync", "--no-progress", "source", remote, cwd=tmp_path))
    assert len(transfer_lines(up, "upload")) == len(TREE), up
    assert sorted(keys_of(s3, bucket)) == sorted(f"tree/{key}" for key in TREE)
    unicode_key = "tree/ünïcødé/fïlé ✓ 日本.txt"
    assert s3.get_object(Bucket=bucket, Key=unicode_key)["Body"].read() == TREE[unicode_key[5:]]

    down = ok(aws(region, "s3", "sync", "--no-progress", remote, "target", cwd=tmp_path))
    assert len(transfer_lines(down, "download")) == len(TREE), down
    assert read_tree(target) == TREE

    # Nothing changed: neither direction transfers anything.
    assert ok(aws(region, "s3", "sync", str(source), remote)).strip() == ""
    assert ok(aws(region, "s3", "sync", remote, str(target))).strip() == ""

    # One file grows, one is deleted locally: one upload, and one delete with --delete.
    (source / "nested/one.csv").write_bytes(b"a,b\n1,2\n3,4\n")
    (source / "top.txt").unlink()
    again = ok(
        aws(region, "s3", "sync", "--no-progress", "--delete", "source", remote, cwd=tmp_path)
    )
    assert transfer_lines(again, "upload") == [
        f"upload: source/nested/one.csv to {remote}/nested/one.csv"
    ], again
    assert transfer_lines(again, "delete") == [f"delete: {remote}/top.txt"], again
    assert s3.get_object(Bucket=bucket, Key="tree/nested/one.csv")["Body"].read() == (
        b"a,b\n1,2\n3,4\n"
    )
    assert "tree/top.txt" not in keys_of(s3, bucket)


def test_ls_prefixes_recursive_and_summary(region: RunningServer, s3: Any, bucket: str) -> None:
    for key, size in [
        ("readme.md", 1024),
        ("logs/2024/a.log", 1024),
        ("logs/2024/b.log", 2048),
        ("logs/2025/c.log", 1024),
        ("data/part-0", 3 * 1024),
    ]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"z" * size)

    root = ok(aws(region, "s3", "ls", f"s3://{bucket}/")).splitlines()
    prefixes = sorted(line.split()[-1] for line in root if line.split()[0] == "PRE")
    assert prefixes == ["data/", "logs/"]
    objects = [line.split() for line in root if line.split()[0] != "PRE"]
    assert [(fields[-2], fields[-1]) for fields in objects] == [("1024", "readme.md")]

    years = ok(aws(region, "s3", "ls", f"s3://{bucket}/logs/")).split()
    assert years == ["PRE", "2024/", "PRE", "2025/"]
    in_2024 = ok(aws(region, "s3", "ls", f"s3://{bucket}/logs/2024/")).splitlines()
    assert [line.split()[-2:] for line in in_2024] == [["1024", "a.log"], ["2048", "b.log"]]

    recursive = ok(aws(region, "s3", "ls", "--recursive", f"s3://{bucket}")).splitlines()
    assert [line.split()[-1] for line in recursive] == [
        "data/part-0",
        "logs/2024/a.log",
        "logs/2024/b.log",
        "logs/2025/c.log",
        "readme.md",
    ]

    summary = ok(
        aws(region, "s3", "ls", "--recursive", "--human-readable", "--summarize", f"s3://{bucket}")
    )
    assert "Total Objects: 5" in summary
    assert "Total Size: 8.0 KiB" in summary
    assert "2.0 KiB logs/2024/b.log" in summary


def test_rm_recursive(region: RunningServer, s3: Any, bucket: str) -> None:
    for index in range(7):
        s3.put_object(Bucket=bucket, Key=f"scratch/{index % 3}/{index}.tmp", Body=b"t")
    s3.put_object(Bucket=bucket, Key="keep.txt", Body=b"keep")
    s3.put_object(Bucket=bucket, Key="scratchpad.txt", Body=b"not under scratch/")

    one = ok(aws(region, "s3", "rm", f"s3://{bucket}/scratch/0/0.tmp"))
    assert one.strip() == f"delete: s3://{bucket}/scratch/0/0.tmp"

    out = ok(aws(region, "s3", "rm", "--recursive", f"s3://{bucket}/scratch/"))
    assert len(transfer_lines(out, "delete")) == 6, out
    assert sorted(keys_of(s3, bucket)) == ["keep.txt", "scratchpad.txt"]


def test_s3api_calls(region: RunningServer, s3: Any, bucket: str, tmp_path: Path) -> None:
    body = deterministic_bytes(4096, seed=4)
    (tmp_path / "body.bin").write_bytes(body)
    put = json.loads(
        ok(
            aws(
                region, "s3api", "put-object", "--bucket", bucket, "--key", "meta/object.bin",
                "--body", str(tmp_path / "body.bin"), "--content-type", "application/x-test",
                "--metadata", '{"purpose":"compat-test","Owner":"Data Team"}',
            )
        )
    )  # fmt: skip
    assert put["ETag"] == md5_etag(body)

    head = json.loads(
        ok(aws(region, "s3api", "head-object", "--bucket", bucket, "--key", "meta/object.bin"))
    )
    assert head["ContentLength"] == len(body)
    assert head["ContentType"] == "application/x-test"
    assert head["ETag"] == md5_etag(body)
    assert head["Metadata"] == {"purpose": "compat-test", "owner": "Data Team"}

    got = json.loads(
        ok(
            aws(
                region, "s3api", "get-object", "--bucket", bucket, "--key", "meta/object.bin",
                str(tmp_path / "got.bin"),
            )
        )
    )  # fmt: skip
    assert got["ContentLength"] == len(body)
    assert got["Metadata"] == {"purpose": "compat-test", "owner": "Data Team"}
    assert (tmp_path / "got.bin").read_bytes() == body

    expected = [f"page/{index:02d}" for index in range(11)]
    for key in expected:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):  # 11 keys, 3 a call: four calls
        args = ["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "page/"]
        args += ["--max-items", "3", "--page-size", "2"]
        if token:
            args += ["--starting-token", token]
        answer = json.loads(ok(aws(region, *args)))
        seen += [item["Key"] for item in answer["Contents"]]
        token = answer.get("NextToken")
        if not token:
            break
    assert seen == expected

    deleted = json.loads(
        ok(
            aws(
                region, "s3api", "delete-objects", "--bucket", bucket, "--delete",
                json.dumps({"Objects": [{"Key": key} for key in expected[:5]]}),
            )
        )
    )  # fmt: skip
    assert sorted(entry["Key"] for entry in deleted["Deleted"]) == expected[:5]
    assert "Errors" not in deleted
    assert sorted(keys_of(s3, bucket)) == ["meta/object.bin", *expected[5:]]

    missing = aws(region, "s3api", "head-object", "--bucket", bucket, "--key", "no-such-key")
    assert missing.returncode != 0
    assert b"(404)" in missing.stderr
    no_key = aws(
        region, "s3api", "get-object", "--bucket", bucket, "--key", "no-such-key",
        str(tmp_path / "x"),
    )  # fmt: skip
    assert no_key.returncode != 0
    assert b"NoSuchKey" in no_key.stderr
