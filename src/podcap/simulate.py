"""``simulate`` (kept here for imports of ``podcap.simulate``; the model is in
:mod:`podcap.pipeline`)."""

from podcap.pipeline.addresses import CNI_ERROR
from podcap.pipeline.results import OUTCOMES, WORKLOAD_COLUMNS, SimulationResult, node_usage_frame
from podcap.pipeline.simulate import simulate
from podcap.pipeline.step import ScoringStrategy
from podcap.scheduler.filters import Filters, failed_scheduling_message

__all__ = [
    "CNI_ERROR",
    "OUTCOMES",
    "WORKLOAD_COLUMNS",
    "Filters",
    "ScoringStrategy",
    "SimulationResult",
    "failed_scheduling_message",
    "node_usage_frame",
    "simulate",
]
