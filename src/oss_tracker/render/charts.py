"""`--plot FILE.png|FILE.svg`: a proper chart of a report's time series, drawn with matplotlib.

matplotlib is an optional dependency (`pip install 'oss-tracker[plot]'`, from a clone
`pip install -e '.[plot]'`) and is imported only here, only when a plot is asked for: report
start-up never pays for it. `require_matplotlib` finds it, without importing it, before a
command does any work.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from oss_tracker.errors import TrackerError
from oss_tracker.escape import visible
from oss_tracker.reports.model import Chart

SUFFIXES = (".png", ".svg")


class PlotError(TrackerError):
    """The chart cannot be written: no matplotlib, a wrong suffix, or nothing to draw."""


NO_MATPLOTLIB = (
    "--plot needs matplotlib, which is not installed: pip install 'oss-tracker[plot]' "
    "(from a clone: pip install -e '.[plot]')"
)


def require_matplotlib() -> None:
    """PlotError unless matplotlib can be found (looked up, not imported: that is for write_plot)."""
    import importlib.util

    try:
        found = importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):  # a broken entry in sys.modules
        found = False
    if not found:
        raise PlotError(NO_MATPLOTLIB)


def check_path(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise PlotError(f"'{path.name}' is not a .png or .svg file")


def write_plot(charts: list[Chart], path: Path, *, title: str = "") -> None:
    """The report's first chart: lines per series over time; a gap (no snapshot) breaks the
    line, never drops to zero."""
    check_path(path)
    if not charts or not charts[0].series:
        raise PlotError("nothing to plot: the report has no time series")
    chart = charts[0]
    try:
        import matplotlib
    except ImportError:
        raise PlotError(NO_MATPLOTLIB) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    with matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "oss-tracker", "font.size": 9, "axes.spines.top": False,
         "axes.spines.right": False}
    ):  # fmt: skip
        fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
        try:
            xs = [datetime.combine(date.fromisoformat(x), datetime.min.time()) for x in chart.x]
            if chart.style == "bar":
                _bars(ax, chart, xs)
            else:
                for s in chart.series:
                    points = [
                        (x, float("nan") if v is None else v)
                        for i, (x, v) in enumerate(zip(xs, s.values, strict=True))
                        if i >= s.offset
                    ]
                    ax.plot(
                        [x for x, _ in points], [v for _, v in points], marker="o", markersize=3,
                        linewidth=1.6, label=visible(s.name),
                    )  # fmt: skip
            ax.set_title(visible(title or chart.title))  # an SVG cannot hold control characters
            ax.set_ylabel(chart.y_label)
            ax.yaxis.set_major_formatter(FuncFormatter(_human))
            # Whole days at least: a snapshot is a day's value, never an hour's.
            span = (max(xs) - min(xs)).days if xs else 0
            locator = mdates.DayLocator() if span <= 14 else mdates.AutoDateLocator(minticks=3, maxticks=10)
            ax.xaxis.set_major_locator(locator)
            if xs:
                pad = timedelta(days=max(0.5, span * 0.02))
                ax.set_xlim(min(xs) - pad, max(xs) + pad)
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
            ax.grid(True, alpha=0.3)
            if chart.style == "bar":
                ax.yaxis.get_major_locator().set_params(integer=True)
            if len(chart.series) > 1:
                ax.legend(frameon=False)
            path.parent.mkdir(parents=True, exist_ok=True)
            fmt = path.suffix.lower().lstrip(".")
            metadata = {"Date": None} if fmt == "svg" else {"Software": None}
            fig.savefig(path, format=fmt, dpi=120, metadata=metadata)
        finally:
            plt.close(fig)


def _bars(ax, chart: Chart, xs: list[datetime]) -> None:
    """Counts per period, one colour an org, stacked: the height is the group's total."""
    bottoms = [0.0] * len(xs)
    for s in chart.series:
        heights = [0.0 if v is None else float(v) for v in s.values]
        ax.bar(xs, heights, width=24, bottom=bottoms, label=visible(s.name), align="edge")
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]


def _human(value: float, _pos: int) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"
