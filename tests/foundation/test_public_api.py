"""The public surface: ``aiolinstor.__all__`` is complete, resolvable, typed and documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import aiolinstor

#: Names private modules list in their own ``__all__`` that stay internal on purpose.
INTERNAL = {
    "ALLOW_TWO_PRIMARIES",  # a property key; users set it through Resource.allow_two_primaries
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
