"""Rows of the one table ``make bench`` prints, and the statistics behind them."""

import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Row:
    benchmark: str
    database: str
    case: str
    result: str
    # The raw numbers behind ``result``, by name, for tests and for floors.
    values: dict[str, float] = field(default_factory=dict)
    floor: str = ""
    met: bool | None = None  # None: this row has no floor of its own


def percentile(samples: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least ``pct``% at or below it."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def time_calls(call: Callable[[], object], *, count: int, warmup: int = 0, budget: float = 30.0) -> list[float]:
    """Seconds taken by each of up to ``count`` calls, stopping early after ``budget`` seconds."""
    for _ in range(warmup):
        call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    while len(samples) < count and time.perf_counter() < deadline:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 0.1 else f"{seconds * 1000:,.0f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs" if seconds < 1e-3 else ms(seconds)


def ratio_row(benchmark: str, database: str, case: str, ratio: float, *, at_most: float | None = None,
              at_least: float | None = None) -> Row:
    if at_most is not None:
        floor, met = f"≤ {at_most:g}×", ratio <= at_most
    elif at_least is not None:
        floor, met = f"≥ {at_least:g}", ratio >= at_least
    else:
        floor, met = "", None
    return Row(benchmark, database, case, f"{ratio:.2f}×", {"ratio": ratio}, floor, met)


def render(rows: list[Row]) -> str:
    """One Markdown table: readable in a terminal, pasteable into the README."""
    header = ("benchmark", "database", "case", "result", "floor", "met")
    body = [
        (r.benchmark, r.database, r.case, r.result, r.floor,
         "" if r.met is None else ("yes" if r.met else "**NO**"))
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(b) for b in body)])


def progress(message: str) -> None:
    """A line on stderr, so a long run shows it is alive without mixing into the table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
