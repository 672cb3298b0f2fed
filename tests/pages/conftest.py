"""The public pages' tests share the API tests' rows: the worked example, and the query-count
tests' catalogue of many rows; each test starts with a clean cache."""

from tests.api.conftest import _fresh_cache, _worked_example_rows, example  # noqa: F401
from tests.api.test_query_counts import _catalogue_rows, catalogue  # noqa: F401
