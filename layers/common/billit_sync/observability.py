"""The one Logger, Tracer and Metrics of the service: every module logs through these.

Powertools reads ``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE`` and ``LOG_LEVEL``
from the function's environment; the defaults below serve tests and local runs.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE_NAME = "outsmart-billit"
METRICS_NAMESPACE = "OutSmartBillit"

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
