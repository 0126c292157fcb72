"""Licence keys from the Hub's tags and card, and their groups."""

from __future__ import annotations

import pytest

from oss_tracker import licenses


@pytest.mark.parametrize(
    ("tags", "name", "key", "tag"),
    [
        (["license:mit", "region:us"], None, "mit", "mit"),
        (["license:other"], "modified-mit", "modified-mit", "other"),  # Kimi K2, MiniMax-M2 since Dec 2025
        (["license:other"], "Qwen", "qwen", "other"),  # keys are lower-cased
        (["license:other"], None, "other", "other"),
        (["transformers"], "deepseek", "unknown", None),  # no tag: unknown, the card name is kept
        ([], None, "unknown", None),
        (None, None, "unknown", None),
        (["license:", "license:apache-2.0"], None, "apache-2.0", "apache-2.0"),  # an empty tag is skipped
        ([42, "license:Apache-2.0"], 7, "apache-2.0", "Apache-2.0"),  # odd types are ignored
    ],
)
def test_from_hub(tags, name, key, tag) -> None:
    found = licenses.from_hub(tags, name)
    assert (found.key, found.tag) == (key, tag)


@pytest.mark.parametrize(
    ("key", "group"),
    [
        ("apache-2.0", "permissive"),
        ("mit", "permissive"),
        ("cc-by-4.0", "permissive"),
        ("cc-by-sa-4.0", "copyleft"),
        ("gpl-3.0", "copyleft"),
        ("modified-mit", "custom"),
        ("qwen", "custom"),
        ("tongyi-qianwen", "custom"),
        ("other", "custom"),
        ("unknown", "unknown"),
    ],
)
def test_groups(key: str, group: str) -> None:
    assert licenses.group(key) == group
