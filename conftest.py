"""Collection of the doctests of src/companion (``--doctest-modules``, see pyproject.toml)."""

# Importing companion/__main__.py runs the command line.
collect_ignore = ["src/companion/__main__.py"]
