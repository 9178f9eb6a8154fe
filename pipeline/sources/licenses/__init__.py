"""Licence detection for source trees: texts matched by similarity (`matcher`), package manifests
(`manifests`), DEP-5 debian/copyright (`dep5`) and one folder's declaration (`tree`)."""

from pipeline.sources.licenses.dep5 import Dep5
from pipeline.sources.licenses.matcher import Match, match_text, spdx_line
from pipeline.sources.licenses.tree import UNKNOWN, Declaration, folder_declaration, is_license_file, normalize

__all__ = [
    "UNKNOWN",
    "Declaration",
    "Dep5",
    "Match",
    "folder_declaration",
    "is_license_file",
    "match_text",
    "normalize",
    "spdx_line",
]
