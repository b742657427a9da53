"""Resources (memory MB, vcores), Hadoop's resource calculators, and request normalisation.

Why two calculators: the capacity scheduler compares, divides and fits resources through
`yarn.scheduler.capacity.resource-calculator`. EMR keeps Hadoop's default,
`DefaultResourceCalculator`, which looks at memory only: vcores are carried along but never
limit a placement (a node may show more vcores used than it has, as on EMR).
`DominantResourceCalculator` (DRF) looks at both and compares by the dominant share.

Normalisation is Hadoop's `SchedulerUtils.normalizeRequest` for the capacity scheduler: raise
to `yarn.scheduler.minimum-allocation-mb` (EMR: 32, Hadoop: 1024), round up to a multiple of
it (the capacity scheduler's step is the minimum allocation), cap at the maximum allocation.
The default calculator normalises memory only and answers 1 vcore, as Hadoop's does.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Final

__all__ = [
    "DEFAULT_RESOURCE_CALCULATOR",
    "DOMINANT_RESOURCE_CALCULATOR",
    "DefaultResourceCalculator",
    "DominantResourceCalculator",
    "Resource",
    "ResourceCalculator",
    "resource_calculator",
]


@dataclass(frozen=True, slots=True)
class Resource:
    """An amount of memory (MB) and vcores; printed as Hadoop prints it."""

    memory_mb: int
    vcores: int

    NONE: ClassVar[Resource]

    def __add__(self, other: Resource) -> Resource:
        return Resource(self.memory_mb + other.memory_mb, self.vcores + other.vcores)

    def __sub__(self, other: Resource) -> Resource:
        return Resource(self.memory_mb - other.memory_mb, self.vcores - other.vcores)

    def __mul__(self, count: int) -> Resource:
        return Resource(self.memory_mb * count, self.vcores * count)

    def scaled(self, factor: float) -> Resource:
        """Both dimensions times `factor`, rounded down (Hadoop's Resources.multiply)."""
        return Resource(int(self.memory_mb * factor), int(self.vcores * factor))

    def at_least_zero(self) -> Resource:
        return Resource(max(self.memory_mb, 0), max(self.vcores, 0))

    def component_min(self, other: Resource) -> Resource:
        return Resource(min(self.memory_mb, other.memory_mb), min(self.vcores, other.vcores))

    def component_max(self, other: Resource) -> Resource:
        return Resource(max(self.memory_mb, other.memory_mb), max(self.vcores, other.vcores))

    def __str__(self) -> str:
        return f"<memory:{self.memory_mb}, vCores:{self.vcores}>"


Resource.NONE = Resource(0, 0)


class ResourceCalculator(ABC):
    """How the scheduler compares resources (Hadoop's ResourceCalculator)."""

    #: The class name `yarn.scheduler.capacity.resource-calculator` names.
    class_name: ClassVar[str]

    @abstractmethod
    def fits_in(self, smaller: Resource, bigger: Resource) -> bool:
        """Whether `smaller` can be carved out of `bigger`."""

    @abstractmethod
    def share(self, cluster: Resource, part: Resource, whole: Resource) -> float:
        """`part / whole` as this calculator measures it (Hadoop's Resources.divide)."""

    @abstractmethod
    def normalize(
        self, request: Resource, minimum: Resource, maximum: Resource, step: Resource
    ) -> Resource:
        """The request raised to `minimum`, rounded up to `step`, capped at `maximum`."""

    @abstractmethod
    def exceeds(self, request: Resource, maximum: Resource) -> bool:
        """Whether a request is larger than the maximum allocation (it is then invalid)."""

    def greater_than(self, cluster: Resource, a: Resource, b: Resource) -> bool:
        return self.share(cluster, a, cluster) > self.share(cluster, b, cluster)

    def max(self, cluster: Resource, a: Resource, b: Resource) -> Resource:
        return a if self.share(cluster, a, cluster) >= self.share(cluster, b, cluster) else b

    def min(self, cluster: Resource, a: Resource, b: Resource) -> Resource:
        return a if self.share(cluster, a, cluster) <= self.share(cluster, b, cluster) else b

    def round_up(self, value: Resource, step: Resource) -> Resource:
        return Resource(
            _round_up(value.memory_mb, step.memory_mb), _round_up(value.vcores, step.vcores)
        )


class DefaultResourceCalculator(ResourceCalculator):
    """Memory only (EMR's and Hadoop's default)."""

    class_name = "org.apache.hadoop.yarn.util.resource.DefaultResourceCalculator"

    def fits_in(self, smaller: Resource, bigger: Resource) -> bool:
        return smaller.memory_mb <= bigger.memory_mb

    def share(self, cluster: Resource, part: Resource, whole: Resource) -> float:
        if whole.memory_mb <= 0:
            return math.inf if part.memory_mb > 0 else 0.0
        return part.memory_mb / whole.memory_mb

    def normalize(
        self, request: Resource, minimum: Resource, maximum: Resource, step: Resource
    ) -> Resource:
        memory = _round_up(max(request.memory_mb, minimum.memory_mb), step.memory_mb)
        return Resource(min(memory, maximum.memory_mb), 1)

    def exceeds(self, request: Resource, maximum: Resource) -> bool:
        return request.memory_mb > maximum.memory_mb


class DominantResourceCalculator(ResourceCalculator):
    """Memory and vcores; shares compared by the dominant one (DRF)."""

    class_name = "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator"

    def fits_in(self, smaller: Resource, bigger: Resource) -> bool:
        return smaller.memory_mb <= bigger.memory_mb and smaller.vcores <= bigger.vcores

    def share(self, cluster: Resource, part: Resource, whole: Resource) -> float:
        def dominant(r: Resource) -> float:
            memory = r.memory_mb / cluster.memory_mb if cluster.memory_mb else 0.0
            cores = r.vcores / cluster.vcores if cluster.vcores else 0.0
            return max(memory, cores)

        denominator = dominant(whole)
        if denominator <= 0:
            return math.inf if dominant(part) > 0 else 0.0
        return dominant(part) / denominator

    def normalize(
        self, request: Resource, minimum: Resource, maximum: Resource, step: Resource
    ) -> Resource:
        raised = request.component_max(minimum)
        return self.round_up(raised, step).component_min(maximum)

    def exceeds(self, request: Resource, maximum: Resource) -> bool:
        return request.memory_mb > maximum.memory_mb or request.vcores > maximum.vcores


DEFAULT_RESOURCE_CALCULATOR: Final = DefaultResourceCalculator()
DOMINANT_RESOURCE_CALCULATOR: Final = DominantResourceCalculator()

_BY_CLASS_NAME: Final[dict[str, ResourceCalculator]] = {
    c.class_name: c for c in (DEFAULT_RESOURCE_CALCULATOR, DOMINANT_RESOURCE_CALCULATOR)
}


def resource_calculator(class_name: str) -> ResourceCalculator:
    """The calculator `yarn.scheduler.capacity.resource-calculator` names; ValueError if none."""
    calculator = _BY_CLASS_NAME.get(class_name.strip())
    if calculator is None:
        raise ValueError(f"java.lang.ClassNotFoundException: Class {class_name} not found")
    return calculator


def _round_up(value: int, step: int) -> int:
    if step <= 0:
        return value
    return -(-value // step) * step
