"""The notebooks of each chapter, registered in the catalogue (one module per paper)."""
import importlib
import pkgutil


def load_all() -> None:
    """Import every chapter module so that its notebooks are registered, in name order."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{info.name}")
