"""What the package installs for Jupyter: the kernelspec, and a notebook run by nbclient."""

import re
import struct
from types import SimpleNamespace

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_server.services.kernelspecs.handlers import kernelspec_model
from kernel_helpers import LOAD, REPO, running_kernel
from nbclient import NotebookClient

KERNELS = REPO / "jupyter-config" / "kernels"


def png_size(path: str) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    with open(path, "rb") as png:
        header = png.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_the_kernelspec_has_the_logos_the_jupyter_server_offers_the_launcher():
    spec = KernelSpecManager(kernel_dirs=[str(KERNELS)]).get_kernel_spec("notebook_coop")
    model = kernelspec_model(SimpleNamespace(base_url="/"), "notebook_coop", spec.to_dict(),
                             spec.resource_dir)
    assert set(model["resources"]) == {"logo-32x32", "logo-64x64", "logo-svg"}
    for size in (32, 64):
        assert png_size(f"{spec.resource_dir}/logo-{size}x{size}.png") == (size, size)
    with open(f"{spec.resource_dir}/logo-svg.svg") as svg:
        assert "<svg" in svg.read()


def test_pyproject_installs_every_file_of_the_kernelspec():
    listed = re.findall(r'"(jupyter-config/kernels/notebook_coop/[^"]+)"',
                        (REPO / "pyproject.toml").read_text())
    present = [f"jupyter-config/kernels/notebook_coop/{path.name}"
               for path in (KERNELS / "notebook_coop").iterdir()]
    assert sorted(listed) == sorted(present)


def test_kernelspec_loads_the_extension_without_load_ext():
    specs = KernelSpecManager(kernel_dirs=[str(KERNELS)])
    assert specs.get_kernel_spec("notebook_coop").display_name == "Python 3 (notebook_coop)"
    with running_kernel(load=False, kernel_name="notebook_coop", kernel_spec_manager=specs) as k:
        cell = k.run("%%greenspawn --wait\nprint('from the kernelspec')")
        assert k.stdout(cell) == "from the kernelspec\n"


def test_greenspawn_wait_output_is_kept_by_nbclient(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(LOAD),
        nbformat.v4.new_code_cell("%%greenspawn -n 2 --wait\nfrom notebook_coop import sleep\n"
                                  "for step in range(2):\n    print(index, step)\n"
                                  "    sleep(0.01)"),
    ])
    NotebookClient(nb, kernel_name="python3", timeout=30,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(out.get("text", "") for out in nb.cells[1].outputs)
    assert sorted(printed.splitlines()) == ["0 0", "0 1", "1 0", "1 1"]
