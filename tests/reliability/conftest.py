"""Hypothesis settings for the reliability suite, and the count of generated inputs.

Every run is deterministic (`derandomize=True`: the examples follow from the test's source,
not from a random seed), keeps no example database and has no per-example deadline, so CI
cannot fail on an example it never saw before. `VIDEODROME_HYPOTHESIS=explore` switches to
random exploration (more examples, a fresh seed each run) for hunting bugs by hand.

Each property test counts the inputs it really tried with the `generated` fixture; the
counts travel as the test reports' `user_properties` (so they survive pytest-xdist) and the
root conftest prints their sum in the terminal summary.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, Phase, settings
import pytest

from custom_components.videodrome import discovery

# Fixtures shared with tests/engine (a client session) and tests/integration (an entry with
# ingest on, the TMDb emulator); the Home Assistant tests here also ask for `ha_integration`.
from tests.engine.conftest import session  # noqa: F401 (fixtures are found by name)
from tests.integration.conftest import (  # noqa: F401
    assist,
    ingest_entry,
    make_ingest_entry,
    tmdb,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

GENERATED = "generated_inputs"

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    # The explicit examples and generation; shrinking a failure is kept (it is what makes a
    # failure readable) but the example database is not.
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.function_scoped_fixture),
)
settings.register_profile(
    "explore",
    parent=settings.get_profile("ci"),
    derandomize=False,
    max_examples=20_000,
)
settings.load_profile(os.environ.get("VIDEODROME_HYPOTHESIS", "ci"))


@pytest.fixture
def ha_integration(enable_custom_integrations: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Home Assistant loads custom_components/videodrome, without scanning the network (GDM)."""
    monkeypatch.setattr(discovery, "GDM_TARGETS", [])


class Counter:
    """How many generated inputs one test tried."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, n: int = 1) -> None:
        """Count `n` more inputs."""
        self.count += n


@pytest.fixture
def generated(record_property: Callable[[str, object], None]) -> Iterator[Counter]:
    """Count this test's generated inputs; the total is printed at the end of the run."""
    counter = Counter()
    yield counter
    record_property(GENERATED, counter.count)
