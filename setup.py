"""Installable package.

``pip install -e .`` gives the ``fl_pytorch`` and ``fl_pytorch_gui`` commands;
``python -m fl_pytorch`` works too.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = re.search(r'__version__ = "([^"]+)"',
                    (here / "fl_pytorch" / "__init__.py").read_text()).group(1)


def _requirements(name: str) -> list[str]:
    return [line.strip() for line in (here / name).read_text().splitlines()
            if line.strip() and not line.startswith(("#", "pytest", "ruff"))]


setup(
    name="fl_pytorch",
    version=version,
    description="Optimization research simulator for federated learning (PyTorch + PyQt5 GUI)",
    long_description=(here / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.11",
    packages=find_packages(include=["fl_pytorch", "fl_pytorch.*", "gui", "gui.*"]),
    install_requires=_requirements("requirements.txt"),
    extras_require={"tracking": _requirements("requirements-optional.txt")},
    entry_points={"console_scripts": ["fl_pytorch=fl_pytorch.cli:main",
                                      "fl_pytorch_gui=gui.app:main"]},
)
