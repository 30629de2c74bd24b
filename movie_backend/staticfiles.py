"""
Static files of third-party packages, with their external loads removed.

The docs pages load nothing from another host (API-CONTRACT "Docs and operations"). drf-spectacular-
sidecar's ReDoc bundle still has one external URL: the sidebar footer's Redocly logo, an <img> from
cdn.redoc.ly. `PatchedAssetsFinder` (first in STATICFILES_FINDERS) serves that bundle with the URL
emptied: ReDoc hides the image when it fails to load, and an empty `src` fails without a request.
The patched copy is written under var/ (git-ignored) and rewritten when the package changes.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import AppDirectoriesFinder, BaseFinder
from django.core.files.storage import FileSystemStorage

logger = logging.getLogger(__name__)

# static path -> [(text to replace, replacement)]
PATCHES: dict[str, list[tuple[str, str]]] = {
    "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js": [
        ("https://cdn.redoc.ly/redoc/logo-mini.svg", ""),
    ],
}


class PatchedAssetsFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.location = Path(settings.BASE_DIR) / "var" / "patched-static"
        self.storage = FileSystemStorage(location=self.location)
        self._ready: dict[str, Path] = {}

    def _patched(self, path: str) -> Path | None:
        """The patched copy of `path` (written on first use), or None when the package is absent."""
        if path in self._ready:
            return self._ready[path]
        original = AppDirectoriesFinder().find(path)
        if not original:
            return None
        text = Path(original).read_text(encoding="utf-8")
        for old, new in PATCHES[path]:
            if old not in text:
                logger.warning("Static patch for %s no longer applies (%r not found)", path, old)
            text = text.replace(old, new)
        target = self.location / path
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        self._ready[path] = target
        return target

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        patched = self._patched(path) if path in PATCHES else None
        if patched is None:
            return [] if find_all else None
        return [str(patched)] if find_all else str(patched)

    def list(self, ignore_patterns):
        for path in PATCHES:
            if self._patched(path) is not None:
                yield path, self.storage
