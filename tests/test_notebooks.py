"""The tutorial notebooks run top to bottom in a real kernel, and show what they promise."""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def _this_python_kernel(tmp_path: Path) -> KernelSpecManager:
    """A kernelspec named python3 that runs this interpreter (the venv with the package)."""
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])


def execute(path: Path, tmp_path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=_this_python_kernel(tmp_path))
    NotebookClient(nb, km=km, timeout=120,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def text_of(nb: nbformat.NotebookNode) -> str:
    return "\n".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for out in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path):
    nb = execute(path, tmp_path)
    errors = [out for cell in nb.cells for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert errors == []


def test_first_steps_shows_time_sleep_blocking_everyone(tmp_path):
    text = text_of(execute(Path(__file__).parent.parent / "notebooks/01-green-threads.ipynb",
                           tmp_path))
    green = float(re.search(r"green sleep: ([\d.]+) s", text).group(1))
    blocking = float(re.search(r"time.sleep: +([\d.]+) s", text).group(1))
    assert green < blocking / 2
    assert "nothing came within 50 ms" in text
