# Load notebook_coop in every IPython kernel, not only in the "Python 3 (notebook_coop)" one.
#
# Copy this line into ~/.ipython/profile_default/ipython_kernel_config.py (create the file with
# `ipython profile create` if it does not exist), or into
# {sys.prefix}/etc/ipython/ipython_kernel_config.py for one environment. Kernels do not read
# any *.d/ folders, so the line has to go into one of those two files.
c.InteractiveShellApp.extensions.append("notebook_coop")  # noqa: F821 (c is the config object)
