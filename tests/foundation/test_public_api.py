"""The public surface: ``aiolinstor.__all__`` is complete, resolvable, typed and documented."""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
import pkgutil
from pathlib import Path

import aiolinstor

#: Names private modules list in their own ``__all__`` that stay internal on purpose.
INTERNAL = {
    "ALLOW_TWO_PRIMARIES",  # a property key; users call Resource.set_allow_two_primaries()
    "VolumeProps",  # mixin of Volume
    "ResourceLifecycle",  # mixin of Resource
    "clone",  # reached as Resource.clone()
    "set_drbd_proxy",  # reached as Resource.drbd_proxy_enable()/disable()
    "list_snapshots",  # reached as Resource.snapshots()
    "take_snapshot",  # reached as Resource.snapshot()
}


def _private_modules() -> list[str]:
    return [
        f"aiolinstor.{info.name}"
        for info in pkgutil.iter_modules(aiolinstor.__path__)
        if info.name.startswith("_") and not info.name.startswith("__")
    ]


def test_every_name_in_all_resolves() -> None:
    for name in aiolinstor.__all__:
        assert hasattr(aiolinstor, name), name
    assert len(set(aiolinstor.__all__)) == len(aiolinstor.__all__)


def test_all_lists_every_name_private_modules_declare_public() -> None:
    missing = []
    for module_name in _private_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name not in aiolinstor.__all__ and name not in INTERNAL:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"not exported from aiolinstor: {missing}"


def test_every_exception_class_is_exported() -> None:
    errors = importlib.import_module("aiolinstor._errors")
    for name, obj in vars(errors).items():
        if inspect.isclass(obj) and issubclass(obj, BaseException) and not name.startswith("_"):
            assert name in aiolinstor.__all__, name


def test_every_error_is_a_linstor_error() -> None:
    for name in aiolinstor.__all__:
        obj = getattr(aiolinstor, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            assert issubclass(obj, aiolinstor.LinstorError), name


def test_public_classes_and_functions_are_documented() -> None:
    public = {name: getattr(aiolinstor, name) for name in aiolinstor.__all__}
    undocumented = [
        name
        for name, obj in public.items()
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not inspect.getdoc(obj)
    ]
    assert not undocumented, undocumented


def test_package_is_typed_and_versioned() -> None:
    from importlib.resources import files

    assert files("aiolinstor").joinpath("py.typed").is_file()
    assert isinstance(aiolinstor.__version__, str) and aiolinstor.__version__[0].isdigit()


def _own_members(cls: type) -> dict[str, object]:
    """Public attributes ``cls`` defines or inherits from aiolinstor classes."""
    members: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("aiolinstor"):
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_"):
                members[name] = value
    return members


def test_public_methods_and_properties_are_documented() -> None:
    undocumented = []
    for name in aiolinstor.__all__:
        cls = getattr(aiolinstor, name)
        if not inspect.isclass(cls) or issubclass(cls, BaseException):
            continue
        for member, value in _own_members(cls).items():
            func = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            documentable = isinstance(func, property) or inspect.isfunction(func)
            if documentable and not inspect.getdoc(func):
                undocumented.append(f"{name}.{member}")
    assert not undocumented, undocumented


def test_the_library_installs_no_log_handler() -> None:
    for info in pkgutil.walk_packages(aiolinstor.__path__, "aiolinstor."):
        if not info.name.endswith("__main__"):  # the emulator's command line configures logging
            importlib.import_module(info.name)
    for logger_name in ("aiolinstor", "aiolinstor.emulator"):
        assert logging.getLogger(logger_name).handlers == [], logger_name
    assert logging.getLogger().handlers == [] or all(
        type(h).__module__.startswith("_pytest") for h in logging.getLogger().handlers
    )


def test_the_library_never_prints() -> None:
    package = Path(aiolinstor.__file__).parent
    printing = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ):
                printing.append(f"{path.relative_to(package)}:{node.lineno}")
    assert not printing, f"print() in the library (log on the 'aiolinstor' logger): {printing}"
