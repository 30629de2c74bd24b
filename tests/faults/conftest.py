"""
Fixtures of the fault suite (`make faults`; deselected from `make test` by the `faults` marker).

`stack` starts private PostgreSQL, Redis, the TMDb stub and gunicorn once per session; `app` hands
each test that stack with TMDb healthy, Redis and PostgreSQL up, an empty cache and throttle counters,
and a freshly started gunicorn whenever the previous test left requests hanging in it.
The figures every test measured are printed at the end and written to reports/faults.md.
"""

from __future__ import annotations

import pytest

from tests.faults import harness

REPORT = harness.REPO / "reports" / "faults.md"


@pytest.fixture(scope="session")
def stack():
    servers = harness.Stack()
    try:
        servers.start()
        harness.DEPLOYMENT[:] = [servers.app.describe()]
        yield servers
    finally:
        servers.close()


@pytest.fixture
def app(stack):
    stack.reset_between_tests()
    yield stack
    stack.stub.clear()


def pytest_terminal_summary(terminalreporter):
    if not harness.FIGURES:
        return
    text = harness.write_figures(REPORT)
    terminalreporter.section("fault suite figures (also in reports/faults.md)")
    terminalreporter.write(text)
