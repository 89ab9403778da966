"""Lets nova-compute load snapshot_fake_virt as nova.virt.snapshot_fake_virt.

Nova (Zed) loads its compute driver as "nova.virt.<compute_driver>", so a
driver outside the nova package cannot be named directly. Python imports
sitecustomize at start from PYTHONPATH; this one only adds an import hook
for that one module name (nothing is imported until nova asks for it), so
it is harmless to any other program given the same PYTHONPATH.
"""

import importlib.abc
import importlib.util
import os
import sys

_NAME = "nova.virt.snapshot_fake_virt"
_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "snapshot_fake_virt.py")


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == _NAME:
            return importlib.util.spec_from_file_location(fullname, _PATH)
        return None


sys.meta_path.insert(0, _Finder())
