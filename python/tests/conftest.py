import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import lab  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: builds network namespaces (needs root)")


@pytest.fixture
def pair():
    """Two hosts on one veth pair; removed afterwards, also when the test fails."""
    p = lab.Pair()
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def hub():
    """Three hosts on a hub; removed afterwards, also when the test fails."""
    h = lab.Hub()
    try:
        yield h
    finally:
        h.close()
