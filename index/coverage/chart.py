"""A timeline as a PNG: stacked bars per period, one colour per outlet (the only module that
imports matplotlib).

Only the ``TOP_OUTLETS`` largest outlets get a colour and a legend entry, the rest are one grey
"others" bar: news3k names 136 outlets, and past 8 colours a reader can no longer tell them apart.
Drawn with the object API on the Agg canvas (no pyplot, no global figure state), so the bot can
draw in a worker thread.
"""

from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402 - after the backend
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from index.errors import NothingToChart  # noqa: E402
from index.records import Timeline  # noqa: E402

TOP_OUTLETS = 8
OTHERS = "others"
LABEL_CHARS = 48  # "Orange Actu (actu.orange.fr) / Orange avec AFP-Services" is 55
DAYS = {"day": 1, "week": 7, "month": 30}
EPOCH = dt.date(1970, 1, 1)  # Matplotlib's default date epoch
UNIT_WORD = {"day": "day", "week": "week (from Monday)", "month": "month"}


def series(timeline: Timeline) -> dict[str, list[int]]:
    """Counts per period for the largest outlets, then the rest as "others" (when any)."""
    top = [name for name, _ in timeline.outlets[:TOP_OUTLETS]]
    out = {name: [0] * len(timeline.periods) for name in top}
    rest = [0] * len(timeline.periods)
    for i, period in enumerate(timeline.periods):
        for name, n in period.counts:
            if name in out:
                out[name][i] += n
            else:
                rest[i] += n
    if any(rest):
        out[OTHERS] = rest
    return out


def shared_part(names: list[str]) -> str:
    """The site every name starts with, before " / " ("Orange Actu (actu.orange.fr)" in news3k,
    where the part after it is the outlet): shown once, as the legend's title; "" when none."""
    heads = {n.split(" / ")[0] for n in names if n != OTHERS}
    head = heads.pop() if len(heads) == 1 else ""
    return head if any(n.startswith(head + " / ") for n in names) else ""


def label(name: str, shared: str) -> str:
    """The outlet's name without the shared site, cut to fit the legend."""
    if shared and name.startswith(shared):
        name = name[len(shared) :].removeprefix(" / ") or "(the site itself)"
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def png(timeline: Timeline) -> bytes:
    """The timeline drawn as a PNG (about 1200 x 600 pixels)."""
    if not timeline.periods:
        raise NothingToChart(f"no dated article matches {timeline.topic!r}")
    fig = Figure(figsize=(12, 6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # Dates as Matplotlib's day numbers (days since 1970-01-01): a bar's width is then in days.
    starts = [float((dt.date.fromisoformat(p.start) - EPOCH).days) for p in timeline.periods]
    width = DAYS[timeline.unit] * 0.85
    bottom = [0] * len(starts)
    colours = [f"C{i}" for i in range(10)]  # the default cycle: tab10
    counted = series(timeline)
    shared = shared_part(list(counted))
    for i, (name, counts) in enumerate(counted.items()):
        colour = "#b0b0b0" if name == OTHERS else colours[i % len(colours)]
        ax.bar(
            starts,
            counts,
            width,
            bottom=bottom,
            label=label(name, shared),
            color=colour,
            align="edge",
        )
        bottom = [b + n for b, n in zip(bottom, counts, strict=True)]
    ax.set_title(f"“{timeline.topic}”: {timeline.matched} matching articles")
    ax.set_ylim(0, max(bottom) * 1.1 + 0.5)  # room above the highest bar
    ax.set_ylabel(f"articles per {UNIT_WORD[timeline.unit]}")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize="small", framealpha=0.9, title=shared or None)
    ax.grid(axis="y", alpha=0.3)
    ax.xaxis_date()
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
