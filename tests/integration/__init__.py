"""Integration tests: real boto3 against moto, and the service fakes over HTTP."""
