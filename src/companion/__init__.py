"""companion: the tested package behind the robustness-limits companion book.

Subpackages and modules hold all the logic of the book (bounds, image spaces, data, plotting,
pipeline); the notebooks under ``notebooks/`` only call into it.
"""
__version__ = "0.1.0"
