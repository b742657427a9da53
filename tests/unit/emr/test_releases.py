"""Release labels and the two release operations."""

from __future__ import annotations

import pytest

from emr.services.emr.releases import (
    HADOOP_VERSION,
    KNOWN_RELEASE_LABELS,
    SPARK_VERSION,
    InvalidNextToken,
    InvalidReleaseLabel,
    describe_release_label,
    find_application,
    list_release_labels,
    paginate,
    parse_release_label,
)


def test_any_well_formed_label_is_accepted_and_ordered() -> None:
    label = parse_release_label("emr-7.5.0")
    assert (label.major, label.minor, label.patch, str(label)) == (7, 5, 0, "emr-7.5.0")
    assert parse_release_label("emr-99.12.3") > parse_release_label("emr-7.12.0")
    assert parse_release_label("emr-5.36.2") < parse_release_label("emr-6.0.0")


@pytest.mark.parametrize("bad", ["emr-7.5", "7.5.0", "emr-7.5.0.1", "EMR-7.5.0", "emr-07.1.0", ""])
def test_malformed_labels_are_validation_errors(bad: str) -> None:
    with pytest.raises(InvalidReleaseLabel) as err:
        parse_release_label(bad)
    assert err.value.code == "ValidationException"
    assert err.value.message == f"The supplied release label is invalid: {bad}."


def test_describe_release_label_reports_what_really_runs() -> None:
    out = describe_release_label("emr-6.10.0")
    assert out == {
        "ReleaseLabel": "emr-6.10.0",
        "Applications": [
            {"Name": "hadoop", "Version": HADOOP_VERSION},
            {"Name": "spark", "Version": SPARK_VERSION},
        ],
        "AvailableOSReleases": [],
    }
    assert (SPARK_VERSION, HADOOP_VERSION) == ("4.3.0", "3.5.0")


def test_describe_release_label_defaults_to_newest_and_pages() -> None:
    assert describe_release_label()["ReleaseLabel"] == KNOWN_RELEASE_LABELS[0]
    first = describe_release_label("emr-7.5.0", max_results=1)
    assert first["Applications"] == [{"Name": "hadoop", "Version": HADOOP_VERSION}]
    second = describe_release_label("emr-7.5.0", next_token=first["NextToken"], max_results=1)
    assert second["Applications"] == [{"Name": "spark", "Version": SPARK_VERSION}]
    assert "NextToken" not in second
    with pytest.raises(InvalidReleaseLabel):
        describe_release_label("spark-4")


def test_unavailable_applications_are_known_without_version() -> None:
    hive = find_application("hive")
    assert hive is not None and not hive.available and hive.version is None
    spark = find_application("SPARK")
    assert spark is not None and spark.version == SPARK_VERSION
    assert find_application("Nope") is None


def test_list_release_labels_newest_first_with_prefix_and_pagination() -> None:
    everything = list_release_labels()["ReleaseLabels"]
    assert everything[0] == "emr-7.12.0" and len(everything) == len(KNOWN_RELEASE_LABELS)
    sixes = list_release_labels(prefix="emr-6")["ReleaseLabels"]
    assert sixes and all(label.startswith("emr-6") for label in sixes)
    collected: list[str] = []
    token = None
    while True:
        page = list_release_labels(prefix="emr-7", next_token=token, max_results=5)
        collected += page["ReleaseLabels"]
        token = page.get("NextToken")
        if token is None:
            break
    assert collected == [label for label in KNOWN_RELEASE_LABELS if label.startswith("emr-7")]


def test_list_release_labels_application_filter() -> None:
    assert list_release_labels(application=f"spark@{SPARK_VERSION}")["ReleaseLabels"]
    assert list_release_labels(application="Spark")["ReleaseLabels"]
    assert list_release_labels(application="spark@2.1.0")["ReleaseLabels"] == []
    assert list_release_labels(application="hive@3.1.3")["ReleaseLabels"] == []


def test_tokens_are_checked() -> None:
    page = paginate("A", list(range(10)), None, 3)
    assert page.items == [0, 1, 2] and page.next_token is not None
    for bad in ("garbage!", page.next_token):
        with pytest.raises(InvalidNextToken):
            paginate("B", list(range(10)), bad, 3)
