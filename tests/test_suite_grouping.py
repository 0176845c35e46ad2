"""`make test` runs two pytest-xdist workers with `--dist loadgroup`; tests/conftest.py puts
the tests sharing a warehouse in one group. xdist carries the group in the node id: if a
pytest or xdist upgrade drops it (pytest-dev/pytest-xdist#1386), grouping is silently lost
and every worker builds its own copy of each warehouse."""

import pytest


def test_the_worker_sees_the_group_of_this_test(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run by an xdist worker with --dist loadgroup")
    assert request.node.nodeid.endswith(f"@{__name__}"), request.node.nodeid
