"""Draw the kernelspec's logos: green threads taking turns around their hub.

Run by hand when the drawing changes (`python jupyter-config/draw_logos.py`); it rewrites
logo-32x32.png, logo-64x64.png and logo-svg.svg next to kernel.json.
"""

from math import cos, radians, sin
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle, Wedge  # noqa: E402

KERNEL_DIR = Path(__file__).parent / "kernels" / "notebook_coop"
HUB, RING = "#1b5e20", "#a5d6a7"
THREADS = ["#2e7d32", "#43a047", "#66bb6a"]


def draw(size_px: int | None = None) -> plt.Figure:
    """The logo on a transparent square figure (one inch, so dpi = pixels): a ring, the
    hub's round, with three green threads on it and the hub at its centre."""
    fig = plt.figure(figsize=(1, 1), dpi=size_px or 64)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(Wedge((0, 0), 0.74, 0, 360, width=0.2, color=RING))
    ax.add_patch(Circle((0, 0), 0.26, color=HUB))
    for i, colour in enumerate(THREADS):
        angle = radians(90 + 120 * i)
        ax.add_patch(Circle((0.64 * cos(angle), 0.64 * sin(angle)), 0.27, color=colour))
    return fig


def main() -> None:
    for size in (32, 64):
        draw(size).savefig(KERNEL_DIR / f"logo-{size}x{size}.png", transparent=True)
    draw().savefig(KERNEL_DIR / "logo-svg.svg", transparent=True,
                   metadata={"Date": None, "Creator": None})


if __name__ == "__main__":
    main()
