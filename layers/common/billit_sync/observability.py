"""The one Logger, Tracer and Metrics of the service: every module logs through these.

Powertools reads ``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE`` and ``LOG_LEVEL``
from the function's environment; the defaults below serve tests and local runs.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE_NAME = "outsmart-billit"
METRICS_NAMESPACE = "OutSmartBillit"

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)


def count_by(name: str, *, value: int = 1, **dimensions: str) -> None:
    """A count with its own dimensions (e.g. export failures by ``kind``), published at once
    so the extra dimensions do not spill onto the invocation's other metrics."""
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        default_dimensions={"service": SERVICE_NAME},
    ) as metric:
        for key, dimension_value in dimensions.items():
            metric.add_dimension(name=key, value=dimension_value)
