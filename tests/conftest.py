"""Fixtures shared by the test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lraudit import repository


@pytest.fixture
def fresh_repository_model() -> Iterator[None]:
    """A repository model of this test's own: modules parsed and imports resolved by earlier tests are forgotten
    (tests of whole-repository analysis use it with ``pytestmark = pytest.mark.usefixtures(...)``)."""
    repository.reset()
    yield
    repository.reset()
