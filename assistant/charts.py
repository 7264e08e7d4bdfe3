"""The charts the reports draw: grouped bars per label, optionally with a marker per label (a target), and one
line over the steps of a run (the soak's memory)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server or in CI
    import matplotlib.pyplot as plt

    return plt


def grouped_bars(
    labels: list[str],
    series: dict[str, list[float]],
    path: Path,
    title: str,
    markers: tuple[str, list[float]] | None = None,
    ylim: float | None = 1.05,
) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(labels)), 3.8))
    width = 0.8 / max(1, len(series))
    for n, (name, values) in enumerate(series.items()):
        offset = (n - (len(series) - 1) / 2) * width
        ax.bar([x + offset for x in range(len(labels))], values, width, label=name)
    if markers is not None:
        name, values = markers
        ax.scatter(range(len(labels)), values, color="#d9822b", marker="_", s=900, label=name, zorder=3)
    ax.set_xticks(list(range(len(labels))), labels, fontsize=7)
    if ylim is not None:
        ax.set_ylim(0, ylim)
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def line(values: list[float], path: Path, title: str, xlabel: str, ylabel: str) -> None:
    """values[i] at step i + 1."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.plot(range(1, len(values) + 1), values)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
