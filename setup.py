# Shim for Beam's --setup_file on Dataflow workers: the project is described in pyproject.toml.
from setuptools import setup

setup()
