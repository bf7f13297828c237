"""Everything that imports IPython, ipykernel or ipywidgets: the extension, the kernel driver,
the magics. The layers below never import from here."""
