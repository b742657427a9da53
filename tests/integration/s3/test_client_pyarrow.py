"""pyarrow's own S3 filesystem (the AWS C++ SDK) against the region's S3: Parquet datasets."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import s3fs
from pyarrow import fs as pafs

from tests.integration.s3.conftest import MiB, S3Access, deterministic_bytes

pytestmark = pytest.mark.integration

ROWS = 3000
CATEGORIES = ["books", "games", "music", "tools"]
YEARS = [2022, 2023, 2024]


def sales_table() -> pa.Table:
    """Deterministic rows: every (year, category) pair occurs, values derivable from the id."""
    ids = list(range(ROWS))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "year": pa.array([YEARS[i % 3] for i in ids], pa.int32()),
            "category": pa.array([CATEGORIES[(i // 3) % 4] for i in ids], pa.string()),
            "amount": pa.array([round(i * 0.25, 2) for i in ids], pa.float64()),
            "note": pa.array([f"row {i} ✓" for i in ids], pa.string()),
        }
    )


def data_keys(s3: Any, bucket: str) -> list[str]:
    """The bucket's keys less the empty `dir/` markers Arrow writes to keep directories."""
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(item["Key"] for item in listed if not item["Key"].endswith("/"))


@pytest.fixture
def arrow_s3(s3_access: S3Access) -> pafs.S3FileSystem:
    return pafs.S3FileSystem(
        access_key=s3_access.access_key,
        secret_key=s3_access.secret_key,
        endpoint_override=s3_access.host_port,
        scheme="http",
        region=s3_access.region_name,
    )


def test_partitioned_dataset_round_trip(arrow_s3: pafs.S3FileSystem, s3: Any, bucket: str) -> None:
    table = sales_table()
    root = f"{bucket}/warehouse/sales"
    ds.write_dataset(
        table,
        root,
        filesystem=arrow_s3,
        format="parquet",
        partitioning=ds.partitioning(
            pa.schema([("year", pa.int32()), ("category", pa.string())]), flavor="hive"
        ),
        basename_template="part-{i}.parquet",
    )

    keys = data_keys(s3, bucket)
    assert keys == sorted(
        f"warehouse/sales/year={year}/category={category}/part-0.parquet"
        for year in YEARS
        for category in CATEGORIES
    )

    dataset = ds.dataset(root, filesystem=arrow_s3, format="parquet", partitioning="hive")
    back = dataset.to_table().select(table.column_names).sort_by("id")
    assert back.num_rows == ROWS
    assert back.to_pydict() == table.to_pydict()

    filtered = dataset.to_table(
        filter=(pc.field("year") == 2023) & (pc.field("category") == "music")
        & (pc.field("amount") >= 300.0),
        columns=["id", "amount"],
    ).sort_by("id")  # fmt: skip
    expected = [
        i
        for i in range(ROWS)
        if YEARS[i % 3] == 2023 and CATEGORIES[(i // 3) % 4] == "music" and i * 0.25 >= 300.0
    ]
    assert filtered.column("id").to_pylist() == expected
    assert filtered.column("amount").to_pylist() == [i * 0.25 for i in expected]

    via_pq = pq.read_table(root, filesystem=arrow_s3, filters=[("category", "=", "books")])
    assert via_pq.num_rows == sum(1 for i in range(ROWS) if CATEGORIES[(i // 3) % 4] == "books")


def test_file_info_listing_and_streams(arrow_s3: pafs.S3FileSystem, s3: Any, bucket: str) -> None:
    small = deterministic_bytes(5000, seed=20)
    large = deterministic_bytes(11 * MiB + 3, seed=21)  # above Arrow's part size: multipart
    for key, data in [("dir/small.bin", small), ("dir/sub/large.bin", large)]:
        with arrow_s3.open_output_stream(f"{bucket}/{key}") as out:
            out.write(data)
    assert s3.get_object(Bucket=bucket, Key="dir/small.bin")["Body"].read() == small
    assert s3.get_object(Bucket=bucket, Key="dir/sub/large.bin")["Body"].read() == large

    with arrow_s3.open_input_stream(f"{bucket}/dir/sub/large.bin") as got:
        assert got.read() == large
    with arrow_s3.open_input_file(f"{bucket}/dir/sub/large.bin") as random_access:
        assert random_access.size() == len(large)
        assert random_access.read_at(100, 9 * MiB) == large[9 * MiB : 9 * MiB + 100]

    info = arrow_s3.get_file_info(f"{bucket}/dir/small.bin")
    assert info.type == pafs.FileType.File
    assert info.size == len(small)
    assert arrow_s3.get_file_info(f"{bucket}/dir/sub").type == pafs.FileType.Directory
    assert arrow_s3.get_file_info(f"{bucket}/dir/missing").type == pafs.FileType.NotFound
    assert arrow_s3.get_file_info(bucket).type == pafs.FileType.Directory

    everything = arrow_s3.get_file_info(pafs.FileSelector(f"{bucket}/dir", recursive=True))
    assert sorted((entry.path, entry.type, entry.size) for entry in everything) == [
        (f"{bucket}/dir/small.bin", pafs.FileType.File, len(small)),
        (f"{bucket}/dir/sub", pafs.FileType.Directory, None),
        (f"{bucket}/dir/sub/large.bin", pafs.FileType.File, len(large)),
    ]
    top = arrow_s3.get_file_info(pafs.FileSelector(f"{bucket}/dir"))
    assert sorted(entry.base_name for entry in top) == ["small.bin", "sub"]

    arrow_s3.copy_file(f"{bucket}/dir/small.bin", f"{bucket}/copied.bin")
    arrow_s3.delete_file(f"{bucket}/dir/small.bin")
    arrow_s3.delete_dir(f"{bucket}/dir/sub")
    assert data_keys(s3, bucket) == ["copied.bin"]


def test_parquet_written_by_s3fs_is_read_by_pyarrow(
    arrow_s3: pafs.S3FileSystem, s3_access: S3Access, bucket: str
) -> None:
    fs = s3fs.S3FileSystem(
        key=s3_access.access_key,
        secret=s3_access.secret_key,
        client_kwargs={"endpoint_url": s3_access.url, "region_name": s3_access.region_name},
        skip_instance_cache=True,
    )
    table = sales_table()
    with fs.open(f"{bucket}/exports/sales.parquet", "wb") as out:
        pq.write_table(table, out, row_group_size=1000)

    back = pq.read_table(f"{bucket}/exports/sales.parquet", filesystem=arrow_s3)
    assert back.equals(table)
    metadata = pq.ParquetFile(arrow_s3.open_input_file(f"{bucket}/exports/sales.parquet")).metadata
    assert (metadata.num_rows, metadata.num_row_groups) == (ROWS, 3)
