"""Counters for /metrics, in the Prometheus text format.

Per process: under gunicorn each worker process counts its own requests (Prometheus sums
them when it scrapes every worker, or use one worker per instance).
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable

QUANTILES = (0.5, 0.9, 0.99)


class Metrics:
    """Queries served, errors by code, timeouts and query latency (last 1,000 queries),
    and the result cache's counters when `cache_stats` gives them (QueryPool.cache_stats)."""

    def __init__(self, window: int = 1000,
                 cache_stats: Callable[[], dict[str, int] | None] | None = None):
        self._cache_stats = cache_stats
        self._lock = threading.Lock()
        self.queries: Counter[str] = Counter()  # by query kind
        self.errors: Counter[str] = Counter()  # by error code
        self.truncated = 0
        self._latencies: deque[float] = deque(maxlen=window)
        self._latency_sum = 0.0
        self._latency_count = 0

    def query_served(self, kind: str, seconds: float, *, truncated: bool = False) -> None:
        with self._lock:
            self.queries[kind] += 1
            self.truncated += truncated
            self._latencies.append(seconds)
            self._latency_sum += seconds
            self._latency_count += 1

    def error(self, code: str) -> None:
        with self._lock:
            self.errors[code] += 1

    def render(self) -> str:
        with self._lock:
            latencies = sorted(self._latencies)
            lines = [
                "# HELP essgraph_queries_total SPARQL queries answered, by query form.",
                "# TYPE essgraph_queries_total counter",
                *(f'essgraph_queries_total{{kind="{k}"}} {n}'
                  for k, n in sorted(self.queries.items())),
                "# HELP essgraph_errors_total Error responses, by error code.",
                "# TYPE essgraph_errors_total counter",
                *(f'essgraph_errors_total{{code="{c}"}} {n}'
                  for c, n in sorted(self.errors.items())),
                "# HELP essgraph_query_timeouts_total Queries stopped at the time limit.",
                "# TYPE essgraph_query_timeouts_total counter",
                f"essgraph_query_timeouts_total {self.errors['QUERY_TIMEOUT']}",
                "# HELP essgraph_truncated_results_total Answers cut at the row limit.",
                "# TYPE essgraph_truncated_results_total counter",
                f"essgraph_truncated_results_total {self.truncated}",
                "# HELP essgraph_query_duration_seconds Latency of answered queries.",
                "# TYPE essgraph_query_duration_seconds summary",
                *(f'essgraph_query_duration_seconds{{quantile="{q}"}} {_quantile(latencies, q)}'
                  for q in QUANTILES),
                f"essgraph_query_duration_seconds_sum {self._latency_sum:.6f}",
                f"essgraph_query_duration_seconds_count {self._latency_count}",
            ]
        cache = self._cache_stats() if self._cache_stats else None
        if cache is not None:
            lines += [
                "# HELP essgraph_result_cache_hits_total Answers served from the result cache.",
                "# TYPE essgraph_result_cache_hits_total counter",
                f"essgraph_result_cache_hits_total {cache['hits']}",
                "# HELP essgraph_result_cache_misses_total Cacheable queries that were run.",
                "# TYPE essgraph_result_cache_misses_total counter",
                f"essgraph_result_cache_misses_total {cache['misses']}",
                "# HELP essgraph_result_cache_entries Answers held in the result cache.",
                "# TYPE essgraph_result_cache_entries gauge",
                f"essgraph_result_cache_entries {cache['entries']}",
                "# HELP essgraph_result_cache_bytes Bytes held in the result cache, and its bound.",
                "# TYPE essgraph_result_cache_bytes gauge",
                f"essgraph_result_cache_bytes {cache['bytes']}",
                f"essgraph_result_cache_max_bytes {cache['max_bytes']}",
            ]
        return "\n".join(lines) + "\n"


def _quantile(values: list[float], q: float) -> str:
    if not values:
        return "NaN"
    return f"{values[min(len(values) - 1, int(q * len(values)))]:.6f}"
