"""The public pages' tests share the API tests' worked example, with a clean cache each."""

from tests.api.conftest import _fresh_cache, _worked_example_rows, example  # noqa: F401
