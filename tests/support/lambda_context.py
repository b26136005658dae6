"""A stand-in for the Lambda context object the handlers receive."""

from dataclasses import dataclass


@dataclass
class FakeLambdaContext:
    function_name: str = "outsmart-billit-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        "arn:aws:lambda:eu-west-1:123456789012:function:outsmart-billit-test"
    )
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    log_group_name: str = "/aws/lambda/outsmart-billit-test"
    log_stream_name: str = "2026/11/21/[$LATEST]abcdef"
    remaining_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis
