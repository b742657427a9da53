"""spark-submit's command line (emr.spark.options): how it splits, which properties win."""

from __future__ import annotations

from pathlib import Path

import pytest

from emr.spark.options import SubmitUsageError, parse_submit_arguments, read_properties


def _conf_dir(tmp_path: Path, text: str) -> dict[str, str]:
    (tmp_path / "spark-defaults.conf").write_text(text)
    return {"SPARK_CONF_DIR": str(tmp_path)}


def test_options_then_primary_then_application_arguments() -> None:
    args = parse_submit_arguments(
        ["--deploy-mode", "cluster", "--verbose", "--py-files", "a.zip,b.py", "s3://b/app.py",
         "--not-an-option-of-ours", "10"]
    )  # fmt: skip
    assert args.options == [
        ("--deploy-mode", "cluster"),
        ("--verbose", None),
        ("--py-files", "a.zip,b.py"),
    ]
    assert args.primary == "s3://b/app.py"
    assert args.app_args == ["--not-an-option-of-ours", "10"]
    assert args.listed("--py-files") == ["a.zip", "b.py"]


def test_option_equals_value_form() -> None:
    args = parse_submit_arguments(
        ["--executor-memory=2g", "--conf=spark.a=b=c", "--name=x y", "app.py"]
    )
    assert args.options == [
        ("--executor-memory", "2g"),
        ("--conf", "spark.a=b=c"),
        ("--name", "x y"),
    ]
    assert args.conf({})["spark.a"] == "b=c"
    assert args.conf({})["spark.app.name"] == "x y"


def test_repeated_resource_options_accumulate_and_last_value_wins() -> None:
    args = parse_submit_arguments(
        ["--files", "a,b", "--files", "c", "--name", "one", "--name", "two", "x.py"]
    )
    assert args.listed("--files") == ["a", "b", "c"]
    assert args.last("--name") == "two"
    assert args.last("--class") is None
    assert args.has("--files") and not args.has("--jars")


def test_flags_without_a_primary_resource() -> None:
    args = parse_submit_arguments(["--version"])
    assert args.has("--version") and args.primary is None and args.app_args == []


def test_a_lone_dash_is_a_primary_resource() -> None:
    assert parse_submit_arguments(["-", "x"]).primary == "-"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--no-such-option", "app.py"], "Unrecognized option '--no-such-option'."),
        (["--bogus=1", "app.py"], "Unrecognized option '--bogus=1'."),
        (["app.py", "--executor-memory"], None),  # the application's argument, not ours
        (["--executor-memory"], "Missing argument for option '--executor-memory'."),
    ],
)
def test_parse_errors_are_sparks(argv: list[str], message: str | None) -> None:
    if message is None:
        assert parse_submit_arguments(argv).app_args == ["--executor-memory"]
        return
    with pytest.raises(SubmitUsageError) as raised:
        parse_submit_arguments(argv)
    assert str(raised.value) == message


def test_property_precedence_defaults_then_conf_then_dedicated_options(tmp_path: Path) -> None:
    environ = _conf_dir(
        tmp_path,
        "# EMR's defaults\n"
        "spark.master yarn\n"
        "spark.executor.memory   896m\n"
        "spark.executor.cores\t2\n"
        "spark.driver.memory=512m\n"
        "spark.eventLog.enabled true\n",
    )
    args = parse_submit_arguments(
        ["--executor-memory", "600m", "--conf", "spark.executor.memory=700m",
         "--conf", "spark.executor.cores=3", "-c", "spark.extra=1", "app.py"]
    )  # fmt: skip
    conf = args.conf(environ)
    assert conf["spark.master"] == "yarn"
    assert conf["spark.executor.memory"] == "600m"  # --executor-memory beats --conf
    assert conf["spark.executor.cores"] == "3"  # --conf beats spark-defaults.conf
    assert conf["spark.driver.memory"] == "512m"
    assert conf["spark.eventLog.enabled"] == "true"
    assert conf["spark.extra"] == "1"
    assert conf["spark.app.name"] == "app.py"


def test_dedicated_options_map_to_their_properties() -> None:
    args = parse_submit_arguments(
        ["--master", "yarn", "--deploy-mode", "cluster", "--num-executors", "3",
         "--executor-cores", "1", "--driver-memory", "1g", "--driver-cores", "2",
         "--queue", "q", "--name", "n", "app.py"]
    )  # fmt: skip
    conf = args.conf({})
    assert {k: conf[k] for k in sorted(conf)} == {
        "spark.app.name": "n",
        "spark.driver.cores": "2",
        "spark.driver.memory": "1g",
        "spark.executor.cores": "1",
        "spark.executor.instances": "3",
        "spark.master": "yarn",
        "spark.submit.deployMode": "cluster",
        "spark.yarn.queue": "q",
    }


def test_properties_file_replaces_spark_defaults(tmp_path: Path) -> None:
    environ = _conf_dir(tmp_path, "spark.master yarn\nspark.executor.memory 896m\n")
    own = tmp_path / "mine.conf"
    own.write_text("spark.executor.memory 2g\n")
    args = parse_submit_arguments(["--properties-file", str(own), "app.py"])
    conf = args.conf(environ)
    assert conf == {"spark.executor.memory": "2g", "spark.app.name": "app.py"}


def test_app_name_defaults_to_the_main_class_for_jars() -> None:
    args = parse_submit_arguments(["--class", "org.example.Main", "s3://b/app.jar"])
    assert args.conf({})["spark.app.name"] == "org.example.Main"
    conf = parse_submit_arguments(["--class", "M", "--name", "mine", "app.jar"]).conf({})
    assert conf["spark.app.name"] == "mine"


def test_conf_without_equals_is_refused() -> None:
    args = parse_submit_arguments(["--conf", "spark.executor.memory", "app.py"])
    with pytest.raises(SubmitUsageError, match="Spark config without '='"):
        args.conf({})


def test_read_properties_forms_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "p.conf"
    path.write_text(
        "! comment\n# comment\n\na.b 1\nc.d=2\ne.f\t 3 \ng.h = 4\nflag\nurl http://x:1/a=b\n"
    )
    assert read_properties(path) == {
        "a.b": "1",
        "c.d": "2",
        "e.f": "3",
        "g.h": "4",
        "flag": "",
        "url": "http://x:1/a=b",
    }
    assert read_properties(tmp_path / "absent.conf") == {}
