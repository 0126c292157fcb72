"""Hostile names for the site's tests: tests/test_output_safety.py's (terminal escapes, bidi, CR,
newlines, formulas) and, for a page, HTML that would run or load something, entities, and the
markup plotly itself reads in a chart's texts (`<b>`, `<br>`, `<a href>`)."""

from __future__ import annotations

from typing import Any

from tests.conftest import model, object_id, world
from tests.test_output_safety import hostile_world

SCRIPT_ID = "Evil/<script>window.pwned=1</script>"
IMG_ID = 'Evil/"><img src=x onerror="window.pwned=2">'
ENTITY_ID = "Evil/&lt;b&gt;not-bold&amp;"  # must show as typed, entities and all
PLOTLY_ID = "Evil/<b>bold</b><br><a href='https://evil.example/'>link</a>"  # renamed from Evil/plain
PIPELINE = "</script><script>window.pwned=3</script>"
LICENSE_NAME = "<img src=x onerror=window.pwned=4>"
HTML_NAMES = (SCRIPT_ID, IMG_ID, ENTITY_ID, PLOTLY_ID)


def hostile_site_world(day: int) -> dict[str, Any]:
    """Day 1: the hostile world of test_output_safety and Evil/plain; day 2: its changes, and
    Evil/plain renamed to PLOTLY_ID, and three new models with HTML in their names, pipeline and
    licence."""
    base = hostile_world(day)
    created = "2025-06-01T00:00:00.000Z"
    plain = model("Evil/plain" if day == 1 else PLOTLY_ID, created_at=created, downloads=50, all_time=100 * day,
                  childrenModelCount={"finetune": 2, "quantized": 3})  # fmt: skip
    plain["_id"] = object_id(created, "Evil/plain")  # the same model after the rename
    items = [*base["models"], plain]
    if day == 2:
        items += [
            model(SCRIPT_ID, created_at="2025-07-01T00:00:00.000Z", downloads=40, all_time=400,
                  pipeline_tag=PIPELINE, childrenModelCount={"adapter": 4}),
            model(IMG_ID, created_at="2025-08-01T00:00:00.000Z", downloads=30, all_time=300,
                  license="other", license_name=LICENSE_NAME),
            model(ENTITY_ID, created_at="2025-09-01T00:00:00.000Z", downloads=20, all_time=200),
        ]  # fmt: skip
    return world(*items)
