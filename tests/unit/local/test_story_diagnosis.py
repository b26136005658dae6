"""When a story step misses its log-panel entry, the error says what the functions logged
about the work order: CI keeps only the test output, not the stack's service log."""

import json
from pathlib import Path
from types import SimpleNamespace

from local.story import Story


def _story_reading(service_log: Path) -> Story:
    story = Story.__new__(Story)  # only the service log is needed here
    story.stack = SimpleNamespace(service_log=service_log)  # type: ignore[assignment]
    return story


def test_the_lines_about_the_work_order_in_order_without_request_lines(tmp_path: Path) -> None:
    worker = "outsmart-billit-local-export-worker"
    lines = [
        {"message": "Billit call", "function_name": worker, "workorder_no": "WB-7"},
        {
            "message": "SQS record failed",
            "function_name": worker,
            "workorder_no": "WB-7",
            "error": "BillitOutcomeUnknownError",
            "receive_count": 5,
        },
        {"message": "export job handled", "function_name": worker, "workorder_no": "WB-8"},
        {
            "message": "outage could not be written to the log panel",
            "function_name": worker,
            "workorder_no": "WB-7",
            "error": "AwsTransientError",
        },
    ]
    log = tmp_path / "service.log"
    log.write_text(
        "\n".join([json.dumps(line) for line in lines] + ["not json", "[1]"]) + "\n",
        encoding="utf-8",
    )

    assert _story_reading(log).logged_about("WB-7") == [
        "export-worker: SQS record failed [BillitOutcomeUnknownError,5]",
        "export-worker: outage could not be written to the log panel [AwsTransientError]",
    ]
    assert _story_reading(log).logged_about("WB-7", last=1) == [
        "export-worker: outage could not be written to the log panel [AwsTransientError]"
    ]
