"""The capacity scheduler's queue tree, parsed from `capacity-scheduler` properties as Hadoop
names them, and validated with Hadoop's messages.

    yarn.scheduler.capacity.root.queues                       children of root (comma list)
    yarn.scheduler.capacity.<path>.queues                     children of a parent queue
    yarn.scheduler.capacity.<path>.capacity                   % of the parent (children sum 100)
    yarn.scheduler.capacity.<path>.maximum-capacity           % of the parent it may grow to
    yarn.scheduler.capacity.<path>.user-limit-factor          x capacity one user may take (1)
    yarn.scheduler.capacity.<path>.minimum-user-limit-percent floor of a user's share (100)
    yarn.scheduler.capacity.<path>.maximum-am-resource-percent  AMs' share (global default)
    yarn.scheduler.capacity.<path>.maximum-applications       (global x absolute capacity)
    yarn.scheduler.capacity.<path>.state                      RUNNING | STOPPED
    yarn.scheduler.capacity.<path>.accessible-node-labels     labels it may ask for (inherited)
    yarn.scheduler.capacity.<path>.accessible-node-labels.<label>.capacity / .maximum-capacity
    yarn.scheduler.capacity.maximum-am-resource-percent       global AM share (Hadoop: 0.1)
    yarn.scheduler.capacity.maximum-applications              (10000)
    yarn.scheduler.capacity.node-locality-delay               missed offers before relaxing (40)
    yarn.scheduler.capacity.resource-calculator               Default (memory) or Dominant

EMR's default is one `default` queue at 100% (`emr_default_properties`). A bad configuration
raises `CapacitySchedulerConfigError` with the message Hadoop's ResourceManager fails with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from emr.errors import ConfigurationError
from emr.yarn.resources import DEFAULT_RESOURCE_CALCULATOR, ResourceCalculator, resource_calculator

__all__ = [
    "ANY_LABEL",
    "PREFIX",
    "ROOT",
    "CapacitySchedulerConfig",
    "CapacitySchedulerConfigError",
    "LabelCapacity",
    "QueueSpec",
    "QueueState",
    "emr_default_properties",
]

PREFIX: Final = "yarn.scheduler.capacity."
ROOT: Final = "root"
ANY_LABEL: Final = "*"
_PRECISION: Final = 0.0005  # Hadoop's ParentQueue.PRECISION
_EPSILON: Final = 0.0001


class CapacitySchedulerConfigError(ConfigurationError):
    """The capacity-scheduler properties cannot build a queue tree (Hadoop's message)."""


class QueueState(Enum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


@dataclass(frozen=True, slots=True)
class LabelCapacity:
    """A queue's share of one node label's partition (percent of the parent's share)."""

    capacity: float
    maximum_capacity: float
    absolute_capacity: float  # fraction of the partition
    absolute_maximum_capacity: float


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """One queue as configured; capacities in percent of the parent, absolutes in fractions."""

    path: str
    name: str
    parent: str | None
    children: tuple[str, ...]
    capacity: float
    maximum_capacity: float
    absolute_capacity: float
    absolute_maximum_capacity: float
    user_limit_factor: float
    minimum_user_limit_percent: int
    maximum_am_resource_percent: float
    maximum_applications: int
    state: QueueState  # effective: STOPPED when any ancestor is
    accessible_node_labels: frozenset[str]  # "*" = every label
    label_capacities: Mapping[str, LabelCapacity] = field(default_factory=dict)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def can_access_label(self, label: str) -> bool:
        return (
            not label
            or ANY_LABEL in self.accessible_node_labels
            or (label in self.accessible_node_labels)
        )


@dataclass(frozen=True)
class CapacitySchedulerConfig:
    """The validated queue tree and the scheduler-wide capacity settings."""

    queues: Mapping[str, QueueSpec]  # by path, root first, parents before children
    maximum_applications: int = 10000
    maximum_am_resource_percent: float = 0.1
    node_locality_delay: int = 40
    calculator: ResourceCalculator = DEFAULT_RESOURCE_CALCULATOR

    @property
    def root(self) -> QueueSpec:
        return self.queues[ROOT]

    def leaves(self) -> list[QueueSpec]:
        return [q for q in self.queues.values() if q.is_leaf]

    def find(self, name: str) -> QueueSpec | None:
        """A queue by full path (`root.a.b`) or by its short name (leaf names are unique)."""
        if name in self.queues:
            return self.queues[name]
        for queue in self.queues.values():
            if queue.name == name and (queue.is_leaf or name != ROOT):
                return queue
        return None

    @classmethod
    def from_properties(cls, properties: Mapping[str, str]) -> CapacitySchedulerConfig:
        """Parse and validate; raises `CapacitySchedulerConfigError` with Hadoop's message."""
        return _Parser(properties).parse()


def emr_default_properties() -> dict[str, str]:
    """EMR's capacity-scheduler defaults: a single `default` queue at 100%."""
    return {
        PREFIX + "maximum-applications": "10000",
        PREFIX + "maximum-am-resource-percent": "0.5",
        PREFIX + "resource-calculator": DEFAULT_RESOURCE_CALCULATOR.class_name,
        PREFIX + "root.queues": "default",
        PREFIX + "root.default.capacity": "100",
        PREFIX + "root.default.maximum-capacity": "100",
        PREFIX + "root.default.user-limit-factor": "1",
        PREFIX + "root.default.state": "RUNNING",
    }


def _java_float(value: float) -> str:
    """A float as Java's Float.toString prints the common cases (50.0, 1.1, -1.0)."""
    text = f"{value:.7g}"
    if "e" in text:
        return text
    return text if "." in text else text + ".0"


class _Parser:
    def __init__(self, properties: Mapping[str, str]) -> None:
        self.props = {k.strip(): v.strip() for k, v in properties.items()}
        self.global_am = self._float(PREFIX + "maximum-am-resource-percent", 0.1)
        self.global_apps = self._int(PREFIX + "maximum-applications", 10000)
        self.labels = sorted(
            {
                key[len(PREFIX) :].split(".accessible-node-labels.", 1)[1].rsplit(".", 1)[0]
                for key in self.props
                if key.startswith(PREFIX) and ".accessible-node-labels." in key
            }
        )
        self.specs: dict[str, QueueSpec] = {}
        self.leaf_names: set[str] = set()

    def parse(self) -> CapacitySchedulerConfig:
        self._queue(ROOT, None)
        calculator_name = self.props.get(PREFIX + "resource-calculator")
        try:
            calculator = (
                resource_calculator(calculator_name)
                if calculator_name
                else DEFAULT_RESOURCE_CALCULATOR
            )
        except ValueError as exc:
            raise CapacitySchedulerConfigError(str(exc)) from exc
        return CapacitySchedulerConfig(
            queues=dict(self.specs),
            maximum_applications=self.global_apps,
            maximum_am_resource_percent=self.global_am,
            node_locality_delay=self._int(PREFIX + "node-locality-delay", 40),
            calculator=calculator,
        )

    # -- one queue, then its children (parents are validated against their children)

    def _queue(self, path: str, parent: QueueSpec | None) -> QueueSpec:
        prefix = PREFIX + path + "."
        name = path.rsplit(".", 1)[-1]
        children_names = [c.strip() for c in self.props.get(prefix + "queues", "").split(",")]
        children_names = [c for c in children_names if c]
        capacity = 100.0 if parent is None else self._float(prefix + "capacity", -1.0)
        if capacity < 0.0 or capacity > 100.0:
            raise CapacitySchedulerConfigError(
                f"Illegal capacity of {_java_float(capacity)} for queue {path}"
            )
        maximum = self._float(prefix + "maximum-capacity", 100.0)
        maximum = 100.0 if maximum == -1.0 else maximum
        if maximum < 0.0 or maximum > 100.0:
            raise CapacitySchedulerConfigError(
                f"Illegal value  of maximumCapacity {_java_float(maximum / 100)} "
                f"used in call to setMaxCapacity for queue {name}"
            )
        if capacity > maximum:
            raise CapacitySchedulerConfigError(
                "Illegal queue capacity setting, "
                f"(capacity={_java_float(capacity / 100)}) > "
                f"(maximum-capacity={_java_float(maximum / 100)}). When label=[]"
            )
        parent_abs = 1.0 if parent is None else parent.absolute_capacity
        parent_abs_max = 1.0 if parent is None else parent.absolute_maximum_capacity
        absolute = capacity / 100 * parent_abs
        absolute_max = maximum / 100 * parent_abs_max
        if absolute_max < absolute - _EPSILON:
            raise CapacitySchedulerConfigError(
                f"Illegal call to setMaxCapacity. Queue '{name}' has an absolute capacity "
                f"({_java_float(absolute)}) greater than its absolute maximumCapacity "
                f"({_java_float(absolute_max)})"
            )
        state_text = self.props.get(prefix + "state", QueueState.RUNNING.value).upper()
        try:
            state = QueueState(state_text)
        except ValueError as exc:
            raise CapacitySchedulerConfigError(
                "No enum constant org.apache.hadoop.yarn.api.records.QueueState." + state_text
            ) from exc
        if parent is not None and parent.state is QueueState.STOPPED:
            state = QueueState.STOPPED
        spec = QueueSpec(
            path=path,
            name=name,
            parent=None if parent is None else parent.path,
            children=tuple(f"{path}.{child}" for child in children_names),
            capacity=capacity,
            maximum_capacity=maximum,
            absolute_capacity=absolute,
            absolute_maximum_capacity=absolute_max,
            user_limit_factor=self._float(prefix + "user-limit-factor", 1.0),
            minimum_user_limit_percent=self._int(prefix + "minimum-user-limit-percent", 100),
            maximum_am_resource_percent=self._float(
                prefix + "maximum-am-resource-percent", self.global_am
            ),
            maximum_applications=self._int(
                prefix + "maximum-applications", int(self.global_apps * absolute)
            ),
            state=state,
            accessible_node_labels=self._accessible(prefix, parent),
            label_capacities=self._label_capacities(path, prefix, parent),
        )
        if not children_names:
            if name in self.leaf_names:
                raise CapacitySchedulerConfigError(
                    f"Two leaf queues were named {name}. Leaf queue names must be distinct"
                )
            self.leaf_names.add(name)
        self.specs[path] = spec
        children = [self._queue(child, spec) for child in spec.children]
        if children:
            self._check_children(spec, children)
        return spec

    def _check_children(self, parent: QueueSpec, children: list[QueueSpec]) -> None:
        total = sum(child.capacity for child in children) / 100
        if (parent.capacity > 0 and abs(1.0 - total) > _PRECISION) or (
            parent.capacity == 0 and total > 0
        ):
            raise CapacitySchedulerConfigError(
                f"Illegal capacity of {_java_float(total)} for children of queue {parent.name}"
            )
        for label in self.labels:
            own = parent.label_capacities.get(label)
            parent_capacity = 100.0 if parent.parent is None else (own.capacity if own else 0.0)
            label_total = (
                sum(
                    c.label_capacities[label].capacity
                    for c in children
                    if label in c.label_capacities
                )
                / 100
            )
            if (parent_capacity > 0 and abs(1.0 - label_total) > _PRECISION and label_total) or (
                parent_capacity == 0 and label_total > 0
            ):
                raise CapacitySchedulerConfigError(
                    f"Illegal capacity of {_java_float(label_total)} for children of queue "
                    f"{parent.name} for label={label}"
                )

    def _accessible(self, prefix: str, parent: QueueSpec | None) -> frozenset[str]:
        if parent is None:
            return frozenset({ANY_LABEL})
        text = self.props.get(prefix + "accessible-node-labels")
        if text is None:
            return parent.accessible_node_labels
        labels = frozenset(part.strip() for part in text.split(",") if part.strip())
        return frozenset({ANY_LABEL}) if ANY_LABEL in labels else labels

    def _label_capacities(
        self, path: str, prefix: str, parent: QueueSpec | None
    ) -> dict[str, LabelCapacity]:
        result: dict[str, LabelCapacity] = {}
        for label in self.labels:
            key = f"{prefix}accessible-node-labels.{label}."
            if key + "capacity" not in self.props and key + "maximum-capacity" not in self.props:
                continue
            capacity = self._float(key + "capacity", 0.0)
            maximum = self._float(key + "maximum-capacity", 100.0)
            for value in (capacity, maximum):
                if value < 0.0 or value > 100.0:
                    raise CapacitySchedulerConfigError(
                        f"Illegal capacity of {_java_float(value)} for node-label={label} in "
                        f"queue={path}, valid capacity should in range of [0, 100]."
                    )
            inherited = None if parent is None else parent.label_capacities.get(label)
            parent_abs = 1.0 if inherited is None else inherited.absolute_capacity
            parent_abs_max = 1.0 if inherited is None else inherited.absolute_maximum_capacity
            result[label] = LabelCapacity(
                capacity=capacity,
                maximum_capacity=maximum,
                absolute_capacity=capacity / 100 * parent_abs,
                absolute_maximum_capacity=maximum / 100 * parent_abs_max,
            )
        return result

    # -- typed reads with Hadoop's parse errors

    def _float(self, key: str, default: float) -> float:
        text = self.props.get(key)
        if text is None or text == "":
            return default
        try:
            return float(text)
        except ValueError as exc:
            raise CapacitySchedulerConfigError(f'For input string: "{text}"') from exc

    def _int(self, key: str, default: int) -> int:
        text = self.props.get(key)
        if text is None or text == "":
            return default
        try:
            return int(text)
        except ValueError as exc:
            raise CapacitySchedulerConfigError(f'For input string: "{text}"') from exc
