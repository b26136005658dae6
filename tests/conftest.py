"""Test-wide safety: no real AWS credentials or region, no X-Ray, quiet metrics."""

import os

# Set before any test module imports boto3 or Powertools.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "OutSmartBillitTests",
    }
)
os.environ.pop("AWS_PROFILE", None)
