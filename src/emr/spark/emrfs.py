"""EMRFS for the JVM: the Java sources under java/ compiled into a jar on first use.

Why compiled here and not shipped: a binary jar in the repository could not be reviewed, and
the JDK 17 it needs is the platform's one system prerequisite anyway. The jar is built with
`javac --release 17` against pyspark's own jars (so it matches the Hadoop client Spark runs)
and cached under a name that hashes the sources and the pyspark version; concurrent builders
each write a private temporary jar and rename it into place.

The class names are the cluster contract that core-site.xml and spark-env.sh refer to.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Final

import platformdirs

__all__ = [
    "EMRFS_JAR_NAME",
    "FILE_OUTPUT_COMMITTER_FACTORY",
    "S3_ABSTRACT_FILE_SYSTEM",
    "S3_FILE_SYSTEM",
    "S3_SCHEMES",
    "WEBHDFS_ABSTRACT_FILE_SYSTEM",
    "EmrfsUnavailable",
    "emrfs_jar",
    "hadoop_properties",
    "pyspark_home",
]

#: The jar's name in every node's lib/.
EMRFS_JAR_NAME: Final = "emrfs.jar"
#: org.apache.hadoop.fs.FileSystem for s3://, s3a://, s3n:// (fs.<scheme>.impl).
S3_FILE_SYSTEM: Final = "emr.hadoop.fs.S3FileSystem"
#: FileContext's view of it (fs.AbstractFileSystem.<scheme>.impl).
S3_ABSTRACT_FILE_SYSTEM: Final = "emr.hadoop.fs.S3AbstractFileSystem"
#: FileContext for hdfs:// over Hadoop's WebHdfsFileSystem (fs.AbstractFileSystem.hdfs.impl).
WEBHDFS_ABSTRACT_FILE_SYSTEM: Final = "emr.hadoop.fs.WebHdfsAbstractFileSystem"
S3_SCHEMES: Final = ("s3", "s3a", "s3n")
#: FileOutputCommitter (algorithm v1) for every S3 scheme. Hadoop's mapred-default.xml names
#: S3A's own committer factory for s3a://, which pyspark's jars do not contain.
FILE_OUTPUT_COMMITTER_FACTORY: Final = (
    "org.apache.hadoop.mapreduce.lib.output.FileOutputCommitterFactory"
)

_SOURCES: Final = Path(__file__).parent / "java"


class EmrfsUnavailable(Exception):
    """The jar cannot be built here (no javac, or the compiler failed): the message says why."""


def hadoop_properties() -> dict[str, str]:
    """The Hadoop configuration that binds the S3 schemes to EMRFS (core-site.xml entries).

    Prefix each name with `spark.hadoop.` for a Spark configuration. Nothing secret: EMRFS
    takes credentials from the environment unless `fs.<scheme>.access.key` etc. are set.
    """
    properties: dict[str, str] = {}
    for scheme in S3_SCHEMES:
        properties[f"fs.{scheme}.impl"] = S3_FILE_SYSTEM
        properties[f"fs.AbstractFileSystem.{scheme}.impl"] = S3_ABSTRACT_FILE_SYSTEM
        properties[f"mapreduce.outputcommitter.factory.scheme.{scheme}"] = (
            FILE_OUTPUT_COMMITTER_FACTORY
        )
    properties["mapreduce.fileoutputcommitter.algorithm.version"] = "1"
    return properties


def pyspark_home() -> Path:
    """The installed pyspark's directory (its bin/ and jars/)."""
    import pyspark

    return Path(pyspark.__file__).parent


def _sources() -> list[Path]:
    return sorted(_SOURCES.rglob("*.java"))


def _fingerprint(sources: list[Path]) -> str:
    import pyspark

    digest = hashlib.sha256(pyspark.__version__.encode())
    for source in sources:
        digest.update(str(source.relative_to(_SOURCES)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _javac() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "javac").exists():
        return str(Path(java_home) / "bin" / "javac")
    found = shutil.which("javac")
    if found is None:
        raise EmrfsUnavailable("javac not found: EMRFS for Spark needs a JDK 17 (not only a JRE)")
    return found


def emrfs_jar(cache_dir: Path | None = None) -> Path:
    """The EMRFS jar, built on first use (EmrfsUnavailable if it cannot be)."""
    sources = _sources()
    cache = cache_dir or Path(platformdirs.user_cache_dir("emr", appauthor=False)) / "emrfs"
    jar = cache / f"emrfs-{_fingerprint(sources)}.jar"
    if jar.exists():
        return jar
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".build-") as build:
        classes = Path(build) / "classes"
        command = [
            _javac(),
            "--release",
            "17",
            "-nowarn",
            "-cp",
            str(pyspark_home() / "jars" / "*"),
            "-d",
            str(classes),
            *map(str, sources),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise EmrfsUnavailable(f"javac failed building EMRFS: {result.stderr.strip()}")
        partial = Path(build) / jar.name
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: emr\r\n\r\n"
            )
            for path in sorted(classes.rglob("*")):
                if path.is_file():
                    archive.write(path, str(path.relative_to(classes)))
        os.replace(partial, jar)
    return jar
