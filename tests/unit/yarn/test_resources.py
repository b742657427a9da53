"""Resources, the two calculators, normalisation."""

from __future__ import annotations

import pytest

from emr.yarn.resources import (
    DEFAULT_RESOURCE_CALCULATOR,
    DOMINANT_RESOURCE_CALCULATOR,
    Resource,
    resource_calculator,
)

MIN = Resource(32, 1)
MAX = Resource(3072, 4)


def test_arithmetic_and_hadoop_string() -> None:
    r = Resource(1024, 1) + Resource(512, 2)
    assert r == Resource(1536, 3)
    assert r - Resource(512, 2) == Resource(1024, 1)
    assert Resource(100, 1) * 3 == Resource(300, 3)
    assert Resource(1000, 4).scaled(0.5) == Resource(500, 2)
    assert str(r) == "<memory:1536, vCores:3>"


def test_default_calculator_looks_at_memory_only() -> None:
    calc = DEFAULT_RESOURCE_CALCULATOR
    assert calc.fits_in(Resource(1024, 64), Resource(1024, 1))
    assert not calc.fits_in(Resource(1056, 1), Resource(1024, 8))
    assert calc.exceeds(Resource(4096, 1), MAX)
    assert not calc.exceeds(Resource(1024, 99), MAX)


def test_dominant_calculator_looks_at_both() -> None:
    calc = DOMINANT_RESOURCE_CALCULATOR
    cluster = Resource(8192, 8)
    assert not calc.fits_in(Resource(1024, 64), Resource(4096, 4))
    assert calc.share(cluster, Resource(1024, 4), cluster) == 0.5  # vcores dominate
    assert calc.exceeds(Resource(1024, 5), MAX)


@pytest.mark.parametrize(
    ("requested", "normalized"),
    [
        (Resource(1, 1), Resource(32, 1)),  # raised to the minimum
        (Resource(1000, 3), Resource(1024, 1)),  # rounded up; default calculator: 1 vcore
        (Resource(1024, 2), Resource(1024, 1)),
        (Resource(9000, 1), Resource(3072, 1)),  # capped at the maximum
    ],
)
def test_default_normalisation(requested: Resource, normalized: Resource) -> None:
    assert DEFAULT_RESOURCE_CALCULATOR.normalize(requested, MIN, MAX, MIN) == normalized


def test_dominant_normalisation_keeps_vcores() -> None:
    calc = DOMINANT_RESOURCE_CALCULATOR
    assert calc.normalize(Resource(1000, 3), MIN, MAX, MIN) == Resource(1024, 3)
    assert calc.normalize(Resource(1000, 9), MIN, MAX, MIN) == Resource(1024, 4)


def test_hadoop_1024_minimum() -> None:
    hadoop_min = Resource(1024, 1)
    normalized = DEFAULT_RESOURCE_CALCULATOR.normalize(
        Resource(1500, 1), hadoop_min, Resource(8192, 4), hadoop_min
    )
    assert normalized == Resource(2048, 1)


def test_calculator_by_class_name() -> None:
    name = "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator"
    assert resource_calculator(name) is DOMINANT_RESOURCE_CALCULATOR
    with pytest.raises(ValueError, match="ClassNotFoundException"):
        resource_calculator("com.example.Nope")
