"""The manifest: loading (with positions), the pydantic model and validation.

Public surface: :func:`load_manifest`, :class:`LoadedManifest`, :class:`ManifestError`,
:class:`Diagnostic`, :func:`json_schema`, :func:`parse_var`.

Callers: ``cli.py`` and the engine (``engine/desired.py``, ``engine/destroy.py``).
"""

from personalize_reconcile.manifest.diagnostics import Diagnostic, ManifestError
from personalize_reconcile.manifest.loader import LoadedManifest, load_manifest, parse_var
from personalize_reconcile.manifest.models import Manifest, json_schema

__all__ = [
    "Diagnostic",
    "LoadedManifest",
    "Manifest",
    "ManifestError",
    "json_schema",
    "load_manifest",
    "parse_var",
]
