"""``make dev`` as a place to try things by hand (issue 15, point 6): it follows the log panel
as it is written and has a command that expires the Billit connection."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from billit_sync import messages
from local.dataset import SMALL
from local.dev import DevCommands, LogFollower
from local.stack import LocalStack, running_stack
from local.story import SCHEDULER, Story
from tests.e2e.test_least_privilege import _fresh_moto


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state_dir: Path = tmp_path_factory.mktemp("dev")
    with _fresh_moto(), running_stack(state_dir) as stack:
        yield stack


def test_dev_prints_what_happens_and_expires_the_connection_on_command(
    stack: LocalStack,
) -> None:
    story = Story(stack, SMALL, io.StringIO())
    story.seed()
    story.register()
    follower = LogFollower(stack, SMALL.tenant_id, stack.browser())
    assert follower.new_lines() == []
    out = io.StringIO()
    commands = DevCommands(stack, SMALL, out)
    commands.handle("expire")  # nothing to expire yet
    assert "Billit is not connected" in out.getvalue()
    story.connect()
    story.import_master_data()
    stack.invoke(SCHEDULER, {"job": "discovery"})
    stack.workers.drain()
    printed = "\n".join(follower.new_lines())
    assert f"Connected to Billit (company {SMALL.company_name})" in printed
    assert "Import finished in" in printed
    first = SMALL.exported()[0]
    invoice = story.call("GET", f"/tenants/{SMALL.tenant_id}/exports/{first.row_id}").json()
    number = invoice["invoice"]["number"]
    assert f"{first.workorder_no} invoice {number}" in printed
    assert follower.new_lines() == []  # each entry once

    commands.handle("expire")
    stack.workers.drain()
    after = follower.new_lines()
    assert any(line.endswith(messages.CATALOGUE[messages.AUTH_EXPIRED]["en"]) for line in after)
    connection = story.call("GET", f"/tenants/{SMALL.tenant_id}/connection").json()
    assert connection["status"] == "auth_expired"

    commands.handle("link nl")
    assert f"{stack.api.url}/ui/open?ticket=" in out.getvalue()
    assert out.getvalue().rstrip().endswith("&lang=nl")
    commands.handle("nonsense")
    assert "unknown command 'nonsense'" in out.getvalue()
