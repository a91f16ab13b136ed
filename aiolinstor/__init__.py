"""aiolinstor: an asyncio-first high-level SDK for LINSTOR."""

from aiolinstor._version import __version__

__all__ = ["__version__"]
