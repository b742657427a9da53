"""DuckDB queries Parquet and CSV in the region's S3 through a registered s3fs filesystem.

DuckDB's own httpfs extension would be downloaded at run time, so autoloading is off and the
`s3://` paths go through fsspec, as they do for users without that extension.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import s3fs

from tests.integration.s3.conftest import S3Access

pytestmark = pytest.mark.integration

FILES = 4
ROWS_PER_FILE = 1500
REGIONS = ["emea", "apac", "amer"]


def order_rows(file: int) -> dict[str, list[object]]:
    ids = range(file * ROWS_PER_FILE, (file + 1) * ROWS_PER_FILE)
    return {
        "order_id": list(ids),
        "region": [REGIONS[i % 3] for i in ids],
        "quantity": [i % 7 + 1 for i in ids],
        "price_cents": [(i * 37) % 1000 for i in ids],
    }


@pytest.fixture
def fs(s3_access: S3Access) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(
        key=s3_access.access_key,
        secret=s3_access.secret_key,
        client_kwargs={"endpoint_url": s3_access.url, "region_name": s3_access.region_name},
        skip_instance_cache=True,
    )


@pytest.fixture
def con(fs: s3fs.S3FileSystem) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET autoinstall_known_extensions = false")
    connection.execute("SET autoload_known_extensions = false")
    connection.register_filesystem(fs)
    yield connection
    connection.close()


def test_read_parquet_glob_aggregates(
    fs: s3fs.S3FileSystem, con: duckdb.DuckDBPyConnection, bucket: str
) -> None:
    for file in range(FILES):
        with fs.open(f"{bucket}/orders/part-{file:03d}.parquet", "wb") as out:
            pq.write_table(pa.table(order_rows(file)), out)
    fs.pipe(f"{bucket}/orders/_SUCCESS", b"")  # not matched by the glob

    rows = [
        (order_id, region, quantity, price)
        for file in range(FILES)
        for order_id, region, quantity, price in zip(*order_rows(file).values(), strict=True)
    ]
    total = con.execute(
        f"SELECT count(*), sum(quantity), sum(quantity * price_cents), min(order_id), "
        f"max(order_id) FROM read_parquet('s3://{bucket}/orders/*.parquet')"
    ).fetchone()
    assert total == (
        len(rows),
        sum(row[2] for row in rows),
        sum(row[2] * row[3] for row in rows),
        0,
        FILES * ROWS_PER_FILE - 1,
    )

    by_region = con.execute(
        f"SELECT region, count(*), sum(price_cents) "
        f"FROM read_parquet('s3://{bucket}/orders/*.parquet', filename = true) "
        f"WHERE quantity >= 4 GROUP BY region ORDER BY region"
    ).fetchall()
    assert by_region == [
        (
            region,
            sum(1 for row in rows if row[1] == region and row[2] >= 4),
            sum(row[3] for row in rows if row[1] == region and row[2] >= 4),
        )
        for region in sorted(REGIONS)
    ]

    per_file = con.execute(
        f"SELECT filename, count(*) FROM read_parquet('s3://{bucket}/orders/*.parquet', "
        f"filename = true) GROUP BY filename ORDER BY filename"
    ).fetchall()
    assert per_file == [
        (f"s3://{bucket}/orders/part-{file:03d}.parquet", ROWS_PER_FILE) for file in range(FILES)
    ]


def test_read_csv_auto_aggregates(
    fs: s3fs.S3FileSystem, con: duckdb.DuckDBPyConnection, bucket: str
) -> None:
    readings = [(f"station-{i % 9}", f"2024-01-{i % 28 + 1:02d}", (i * 13) % 401 / 10) for i in range(2000)]  # fmt: skip
    body = "station,day,celsius\n" + "".join(f"{s},{d},{c}\n" for s, d, c in readings)
    fs.pipe(f"{bucket}/weather/readings.csv", body.encode())

    described = con.execute(
        f"DESCRIBE SELECT * FROM read_csv_auto('s3://{bucket}/weather/readings.csv')"
    ).fetchall()
    assert [(row[0], row[1]) for row in described] == [
        ("station", "VARCHAR"),
        ("day", "DATE"),
        ("celsius", "DOUBLE"),
    ]

    stations = con.execute(
        f"SELECT station, count(*), round(max(celsius), 1), round(sum(celsius), 1) "
        f"FROM read_csv_auto('s3://{bucket}/weather/readings.csv') "
        f"GROUP BY station ORDER BY station"
    ).fetchall()
    assert stations == [
        (
            station,
            sum(1 for row in readings if row[0] == station),
            round(max(row[2] for row in readings if row[0] == station), 1),
            round(sum(row[2] for row in readings if row[0] == station), 1),
        )
        for station in sorted({row[0] for row in readings})
    ]

    # The result written back through the same filesystem, then read again.
    con.execute(
        f"COPY (SELECT station, count(*) AS n FROM read_csv_auto("
        f"'s3://{bucket}/weather/readings.csv') GROUP BY station ORDER BY station) "
        f"TO 's3://{bucket}/weather/summary.parquet' (FORMAT parquet)"
    )
    assert fs.exists(f"{bucket}/weather/summary.parquet")
    summary = con.execute(
        f"SELECT sum(n), count(*) FROM read_parquet('s3://{bucket}/weather/summary.parquet')"
    ).fetchone()
    assert summary == (len(readings), 9)
