"""What the package installs for Jupyter: the kernelspec, and a notebook run by nbclient."""

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from kernel_helpers import LOAD, REPO, running_kernel
from nbclient import NotebookClient

KERNELS = REPO / "jupyter-config" / "kernels"


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
