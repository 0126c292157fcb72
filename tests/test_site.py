"""`oss-tracker site OUT` (issue 17) without a browser: the files it writes, the folder rules
(new, empty or its own earlier site; never through a link; a failure changes nothing), the Atom
feed (RFC 4287) against `changes`, hostile names escaped in pages and feed, and no plotly.

What a person sees in a real browser (console, requests, marks, numbers) is tests/test_site_browser.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from oss_tracker.escape import visible
from oss_tracker.render.site import plot
from tests.conftest import FIXTURES, REPLAY_DAYS, SITE_MODELS, WATCHLIST, copy_db, model, run, sync, world
from tests.fakehub import FakeHub
from tests.site_hostile import HTML_NAMES, LICENSE_NAME, PIPELINE

ATOM = "{http://www.w3.org/2005/Atom}"
MARKER = ".oss-tracker-site"


def _json(*args: str) -> Any:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# -- what is written ----------------------------------------------------------------------------
def test_the_site_has_a_page_for_the_overview_each_account_company_and_top_model(
    demo_site: Path, bundled_history: Path
) -> None:
    db = str(bundled_history)
    orgs = ["deepseek-ai", "MiniMaxAI", "moonshotai", "Qwen", "Wan-AI"]
    n = int(SITE_MODELS)
    models = [m["id"] for org in orgs for m in _json("report", "--org", org, "--db", db)["top_models"][:n]]
    models += [b["id"] for b in _json("derivatives", "--db", db, "--limit", str(n))["bases"]]
    library, _ = plot.library()
    expected = sorted(
        ["index.html", "derivatives.html", "releases.html", "feed.xml", ".nojekyll", MARKER,
         f"assets/{library}", "assets/site.js", "assets/site.css"]
        + [f"org/{o}.html" for o in orgs]
        # "Moonshot AI" has a space: its file name keeps the plain part and adds a hash of the name
        + ["company/Alibaba.html", "company/DeepSeek.html", "company/MiniMax.html", "company/Moonshot-AI-cab2561346.html"]
        + [f"model/{m.replace('/', '--')}.html" for m in dict.fromkeys(models)]
    )  # fmt: skip
    assert _files(demo_site) == expected
    # Named by the version in the installed file's own header line (`* plotly.js v4.1.1`): a
    # version number, never "unknown".
    header = plot.library_path().read_text(encoding="utf-8", errors="replace").splitlines()[:3]
    [version] = [line.removeprefix("* plotly.js v") for line in header if line.startswith("* plotly.js v")]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version) and library == f"plotly-{version}.min.js"
    assert (demo_site / "assets" / library).read_bytes() == plot.library_path().read_bytes()


def test_every_page_is_under_1_mb_and_refers_only_to_files_of_the_site(demo_site: Path) -> None:
    for path in demo_site.rglob("*.html"):
        page = path.read_text(encoding="utf-8")
        assert len(page.encode()) < 1_000_000, path
        refs = re.findall(r'(?:src|href)="([^"]*)"', page)
        assert refs, path
        for ref in refs:
            assert "://" not in ref and not ref.startswith(("/", "data:", "javascript:")), (path, ref)
            target = (path.parent / ref).resolve()
            assert target.is_file() and target.is_relative_to(demo_site.resolve()), (path, ref)
        # The library once, shared: every page loads the same file from assets/.
        assert re.search(r'<script src="(\.\./)?assets/plotly-[^"]+\.min\.js" defer>', page), path


def test_every_chart_says_what_it_shows_and_where_its_numbers_come_from(demo_site: Path) -> None:
    page = (demo_site / "index.html").read_text(encoding="utf-8")
    notes = re.findall(r'<p class="note">([^<]*)</p>', page)
    titles = re.findall(r"<figcaption><h[23]>([^<]*)</h[23]>", page)
    # The originals chart: the releases report counts each month's originals (issue 14, point 1).
    assert titles == ["Companies&#x27; share of downloads", "Accounts&#x27; share of downloads",
                      "Downloads per day", "Releases per month",
                      "Original releases per month (conversions and derived models left out)",
                      "Conversions per month (quantized or converted copies)", "Licence mix"]  # fmt: skip
    span = "as of 27 Nov 2025 06:00 UTC · history 24 Nov 2025 – 27 Nov 2025, 3 daily snapshots"
    demo = "demo data: replayed from a recording, not fetched from the Hub"
    for note in notes:
        assert span in note and demo in note, note
        assert "public archive" not in note  # every day of the demo was synced (replayed)
    assert "downloads = differences of the Hub&#x27;s all-time download counts" in notes[0]
    assert notes[2].startswith("downloads = differences of the Hub&#x27;s all-time download counts")
    assert "a point a day" in notes[2]
    assert notes[3].startswith(
        "a release = a model first seen in the account, dated by the Hub&#x27;s createdAt"
    )


# -- the feed --------------------------------------------------------------------------------------
def _changes_of_each_run(tmp_path: Path) -> list[dict[str, Any]]:
    """`changes --format json` after each recorded day: what each run found."""
    db = tmp_path / "days.db"
    out = []
    for day in REPLAY_DAYS:
        assert run("sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / day)).exit_code == 0
        out.append(_json("changes", "--db", str(db)))
    return out


def test_the_feed_is_atom_with_every_change_each_run_found(demo_site: Path, tmp_path: Path) -> None:
    root = ET.parse(demo_site / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    expected = []
    for found in _changes_of_each_run(tmp_path)[1:]:  # the first run found the accounts, not releases
        at = found["as_of"]
        expected += [(at, "release", f"New: {m}") for m in found["new"]]
        expected += [(at, "removed", f"Removed: {m}") for m in found["removed"]]
        expected += [(at, "renamed", f"Renamed: {r['from']} to {r['to']}") for r in found["renamed"]]
        expected += [(at, "license_changed", f"Licence changed: {c['id']} ({c['from']} to {c['to']})")
                     for c in found["license_changed"]]  # fmt: skip
    got = [(e.findtext(f"{ATOM}updated"), e.find(f"{ATOM}category").get("term"), e.findtext(f"{ATOM}title"))
           for e in entries]  # fmt: skip
    assert sorted(got) == sorted(expected)
    assert got == [
        ("2025-11-27T06:00:00Z", "renamed",
         "Renamed: Qwen/Qwen3-Next-80B-A3B-Instruct-FP8 to Qwen/Qwen3-Next-80B-A3B-Instruct-FP8-Dynamic"),
        ("2025-11-27T06:00:00Z", "removed", "Removed: Qwen/Qwen2.5-Coder-3B-Instruct-GPTQ-Int8"),
        ("2025-11-27T06:00:00Z", "release", "New: deepseek-ai/DeepSeek-Math-V2"),
        ("2025-11-25T06:00:00Z", "release", "New: Qwen/Qwen3-VL-32B-Thinking-FP8"),
        ("2025-11-25T06:00:00Z", "license_changed", "Licence changed: MiniMaxAI/MiniMax-M2 (mit to modified-mit)"),
    ]  # newest first  # fmt: skip
    summary = entries[2].findtext(f"{ATOM}summary")
    assert summary == (
        "deepseek-ai released deepseek-ai/DeepSeek-Math-V2 (created 27 Nov 2025; apache-2.0; 686B parameters; "
        "text-generation), first seen 27 Nov 2025 06:00 UTC"
    )


def _check_rfc4287(root: ET.Element) -> None:
    """The rules of RFC 4287 a feed reader relies on."""
    stamp = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
    iri = re.compile(r"[a-z][a-z0-9+.-]*:\S+\Z")
    for tag in ("id", "title", "updated"):  # exactly one each (4.1.1)
        assert len(root.findall(f"{ATOM}{tag}")) == 1, tag
    assert iri.match(root.findtext(f"{ATOM}id"))
    assert stamp.match(root.findtext(f"{ATOM}updated"))
    assert root.find(f"{ATOM}author/{ATOM}name").text  # the feed's author stands for every entry
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        for tag in ("id", "title", "updated"):  # 4.1.2
            assert len(entry.findall(f"{ATOM}{tag}")) == 1, tag
        ids.append(entry.findtext(f"{ATOM}id"))
        assert iri.match(ids[-1]) and stamp.match(entry.findtext(f"{ATOM}updated"))
        # no content element, so an alternate link (4.1.1), at most one per type
        alternates = [
            link for link in entry.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == 1 and alternates[0].get("href")
        assert entry.find(f"{ATOM}summary").get("type") == "text"
    assert len(ids) == len(set(ids))
    for element in root.iter():
        if element.tag.endswith("title") or element.tag.endswith("summary"):
            assert element.get("type", "text") == "text"


def test_the_feed_follows_rfc_4287_and_keeps_its_ids_across_builds(
    demo_site: Path, bundled_history: Path, tmp_path: Path
) -> None:
    root = ET.parse(demo_site / "feed.xml").getroot()
    _check_rfc4287(root)
    assert root.findtext(f"{ATOM}updated") == "2025-11-27T06:00:00Z"
    links = [e.find(f"{ATOM}link").get("href") for e in root.findall(f"{ATOM}entry")]
    assert links == ["org/Qwen.html", "org/Qwen.html", "org/deepseek-ai.html", "org/Qwen.html", "model/MiniMaxAI--MiniMax-M2.html"]  # fmt: skip
    # Rebuilt, elsewhere: the same ids (a reader sees no entry twice), and the same bytes.
    again = tmp_path / "again"
    result = run(
        "--config", str(WATCHLIST), "site", str(again), "--db", str(bundled_history), "--models", SITE_MODELS
    )
    assert result.exit_code == 0, result.stderr
    assert (again / "feed.xml").read_bytes() == (demo_site / "feed.xml").read_bytes()


def test_an_entry_keeps_its_id_when_an_account_is_added(bundled_history: Path, tmp_path: Path) -> None:
    """Without --url, entry ids were made from the set of accounts: watching one more re-notified
    a reader of every entry. An entry's id is its own now; the feed says where it lives."""
    db = copy_db(bundled_history, tmp_path / "t.db")

    def ids(out: Path) -> dict[str, str]:
        root = ET.parse(out / "feed.xml").getroot()
        assert [(link.get("rel"), link.get("href")) for link in root.findall(f"{ATOM}link")] == [
            ("alternate", "index.html"), ("self", "feed.xml")]  # fmt: skip
        return {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")}

    assert run("site", str(tmp_path / "before"), "--db", str(db), "--models", "0").exit_code == 0
    with FakeHub(world(model("NewLab/first"))) as hub:
        assert sync(hub, db, "NewLab", now="2025-11-28T06:00:00Z").exit_code == 0
    assert run("site", str(tmp_path / "after"), "--db", str(db), "--models", "0").exit_code == 0
    before, after = ids(tmp_path / "before"), ids(tmp_path / "after")
    assert len(before) == 5 and before.items() <= after.items()


def test_with_the_sites_address_the_feed_links_absolutely(bundled_history: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = run(
        "site",
        str(out),
        "--db",
        str(bundled_history),
        "--models",
        "0",
        "--url",
        "https://example.org/tracker",
    )
    assert result.exit_code == 0, result.stderr
    root = ET.parse(out / "feed.xml").getroot()
    _check_rfc4287(root)
    assert root.findtext(f"{ATOM}id") == "https://example.org/tracker/feed.xml"
    assert [(link.get("rel"), link.get("href")) for link in root.findall(f"{ATOM}link")] == [
        ("alternate", "https://example.org/tracker/index.html"), ("self", "https://example.org/tracker/feed.xml")]  # fmt: skip
    assert {e.find(f"{ATOM}link").get("href")[:29] for e in root.findall(f"{ATOM}entry")} == {
        "https://example.org/tracker/o"
    }


@pytest.mark.parametrize(
    "url", ["ftp://example.org/", "https://", "https://e.org/<x>", "https://e.org/?a=1", "example.org"]
)
def test_a_site_address_that_is_not_plain_http_is_a_usage_error(
    bundled_history: Path, tmp_path: Path, url: str
) -> None:
    result = run("site", str(tmp_path / "site"), "--db", str(bundled_history), "--url", url)
    assert result.exit_code == 2
    assert "give the site's address as http(s)://host/path/" in result.stderr
    assert not (tmp_path / "site").exists()


# -- the folder ----------------------------------------------------------------------------------
def _site(db: Path, out: Path) -> Any:
    return run("site", str(out), "--db", str(db), "--models", "0")


def test_a_new_folder_is_made_and_an_empty_one_used(bundled_history: Path, tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "site"
    assert _site(bundled_history, deep).exit_code == 0
    assert (deep / "index.html").is_file() and (deep / MARKER).read_bytes().startswith(b"oss-tracker site\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _site(bundled_history, empty).exit_code == 0
    assert (empty / "index.html").is_file()
    # Nothing is left beside them: the staging folder became the site.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "empty"]
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["site"]
    mode = (empty / "index.html").stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask() and (empty.stat().st_mode & 0o777) == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_an_earlier_site_is_replaced_whole(bundled_history: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert _site(bundled_history, out).exit_code == 0
    (out / "org" / "stale.html").write_text("from an older build")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the site's")
    (out / "org" / "link").symlink_to(outside, target_is_directory=True)  # deleting never follows it
    result = _site(bundled_history, out)
    assert result.exit_code == 0, result.stderr
    assert not (out / "org" / "stale.html").exists() and not (out / "org" / "link").exists()
    assert (outside / "keep.txt").read_text() == "not the site's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside", "site"]


def test_publishing_files_added_to_a_site_are_kept_and_other_files_refused(
    bundled_history: Path, tmp_path: Path
) -> None:
    """A site turned into a GitHub Pages clone (CNAME, .git) lost them at the next build, without a
    word. They move into the new site; a file of the user's the site does not know stops the
    build, which changes nothing."""
    out = tmp_path / "site"
    assert _site(bundled_history, out).exit_code == 0
    (out / "CNAME").write_text("tracker.example.org\n")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    result = _site(bundled_history, out)
    assert result.exit_code == 0, result.stderr
    assert (out / "CNAME").read_text() == "tracker.example.org\n"
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/gh-pages\n"
    written = json.loads((out / MARKER).read_bytes().split(b"\n", 1)[1])["files"]  # --models 0: no model/
    assert written == sorted([".nojekyll", MARKER, "assets", "company", "derivatives.html", "feed.xml", "index.html",
                              "org", "releases.html"])  # fmt: skip
    (out / "notes.txt").write_text("mine")
    before = _files(out)
    refused = _site(bundled_history, out)
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"oss-tracker: error: {out} holds 'notes.txt', which the site did not write: move it away, or write "
        "the site into a new folder (nothing was changed; CNAME, .git, .gitignore, .gitattributes, README.md "
        "are kept)\n",
    )
    assert _files(out) == before and (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_out_never_stops_existing_while_an_earlier_site_is_replaced(
    bundled_history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two renames (the old site aside, the new one in) left no OUT for a moment: a web server
    answered 404. On Linux the two folders are swapped in one step; OUT is never renamed away."""
    from oss_tracker.render.site import folder

    out = tmp_path / "site"
    assert _site(bundled_history, out).exit_code == 0
    renamed: list[tuple[str, str]] = []
    real = os.rename

    def watch(a: Any, b: Any, *args: Any, **kwargs: Any) -> None:
        renamed.append((str(a), str(b)))
        real(a, b, *args, **kwargs)

    monkeypatch.setattr(folder.os, "rename", watch)
    assert _site(bundled_history, out).exit_code == 0
    assert [r for r in renamed if r[0] == str(out)] == []
    assert (out / "index.html").is_file() and sorted(p.name for p in tmp_path.iterdir()) == ["site"]


@pytest.mark.parametrize("case", ["not-empty", "symlink", "file", "marker-link", "marker-other"])
def test_a_folder_that_is_not_ours_is_refused_and_left_as_it_was(
    bundled_history: Path, tmp_path: Path, case: str
) -> None:
    out = tmp_path / "out"
    target = tmp_path / "target"
    target.mkdir()
    if case == "not-empty":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
        message = f"{out} is not empty and holds no site written by oss-tracker: write the site into a new or empty folder"
    elif case == "symlink":
        out.symlink_to(target, target_is_directory=True)
        message = f"{out} is a symbolic link: write the site into a new folder"
    elif case == "file":
        out.write_text("a file")
        message = f"{out} is not a folder: write the site into a new folder"
    else:  # a marker that is a link to one, or a file of that name that is not one
        out.mkdir()
        (target / MARKER).write_bytes(b"oss-tracker site\n{}")
        if case == "marker-link":
            (out / MARKER).symlink_to(target / MARKER)
        else:
            (out / MARKER).write_text("something else")
        message = f"{out} is not empty and holds no site written by oss-tracker: write the site into a new or empty folder"
    before = _tree(tmp_path)
    result = _site(bundled_history, out)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"oss-tracker: error: {message}\n")
    assert _tree(tmp_path) == before


def _tree(root: Path) -> list[tuple[str, str]]:
    out = []
    for p in sorted(root.rglob("*")):
        kind = "link" if p.is_symlink() else ("dir" if p.is_dir() else "file")
        out.append(
            (
                str(p.relative_to(root)),
                kind + ":" + (os.readlink(p) if kind == "link" else p.read_text() if kind == "file" else ""),
            )
        )
    return out


def test_a_site_that_fails_halfway_leaves_the_earlier_one_as_it_was(
    bundled_history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oss_tracker.render.site import html

    out = tmp_path / "site"
    assert _site(bundled_history, out).exit_code == 0
    before = _tree(tmp_path)
    pages = []
    real = html.page_html

    def fails_on_the_third(*args: Any, **kwargs: Any) -> str:
        pages.append(1)
        if len(pages) == 3:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(html, "page_html", fails_on_the_third)
    result = _site(bundled_history, out)
    assert (result.exit_code, result.stderr) == (1, "oss-tracker: error: No space left on device\n")
    assert _tree(tmp_path) == before  # the old site whole, and no staging folder left beside it


def test_without_plotly_the_site_is_refused_in_one_line_before_any_work(
    bundled_history: Path, tmp_path: Path
) -> None:
    hidden = "import sys; sys.modules['plotly'] = None; from oss_tracker.cli import main; sys.argv[0] = 'oss-tracker'; main()"
    out = tmp_path / "site"
    done = subprocess.run([sys.executable, "-c", hidden, "site", str(out), "--db", str(bundled_history)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "oss-tracker: error: site needs plotly (the charting library it publishes), which is not installed: "
        "pip install 'oss-tracker[site]' (from a clone: pip install -e '.[site]')\n"
    )
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_missing_or_empty_database_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    from oss_tracker.store.open import open_db

    missing = tmp_path / "missing.db"
    result = _site(missing, tmp_path / "site")
    assert (result.exit_code, result.stderr) == (
        1, f"oss-tracker: error: no database at {missing}: run `oss-tracker sync` first\n")  # fmt: skip
    empty = tmp_path / "empty.db"
    open_db(empty, create=True).conn.close()  # the schema, no run
    result = _site(empty, tmp_path / "site")
    assert (result.exit_code, result.stderr) == (
        1, "oss-tracker: error: the database has no sync yet: run `oss-tracker sync` first\n")  # fmt: skip
    assert not (tmp_path / "site").exists() and not list(tmp_path.glob(".site.*"))


# -- hostile names ---------------------------------------------------------------------------------
class _Tags(HTMLParser):
    """Every start tag and attribute of a page, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


ALLOWED_TAGS = {"html", "head", "meta", "title", "link", "script", "body", "header", "nav", "a", "main", "p",
                "section", "h1", "h2", "h3", "figure", "figcaption", "div", "button", "details", "summary",
                "table", "caption", "thead", "tbody", "tr", "th", "td", "ul", "li"}  # fmt: skip


def test_hostile_names_are_text_in_every_page_and_in_the_figures(hostile_site: tuple[Path, Path]) -> None:
    _, out = hostile_site
    shown = [visible(n) for n in HTML_NAMES]
    seen: set[str] = set()
    for path in out.rglob("*.html"):
        parsed = _Tags()
        parsed.feed(path.read_text(encoding="utf-8"))
        assert {t for t, _ in parsed.tags} <= ALLOWED_TAGS, path
        for tag, attrs in parsed.tags:
            assert not any(k.startswith("on") for k, _ in attrs), (path, tag, attrs)
            if tag == "script":
                assert dict(attrs).get("type") == "application/json" or dict(attrs).get("src", "").startswith(
                    ("assets/", "../assets/")
                )
        assert [t for t, _ in parsed.tags].count("script") == 3  # plotly.js, site.js, the figures
        text = "".join(parsed.text)
        seen |= {n for n in shown if n in text}
        assert "\x1b" not in text and "\u202e" not in text
        # The figures: JSON with no `<` (nothing can close the script element) whose texts are
        # escaped for plotly, which reads <b>, <br> and <a href> in them.
        [figures] = parsed.scripts
        assert "<" not in figures and ">" not in figures
        for figure in json.loads(figures):
            for trace in figure["data"]:
                assert "<" not in trace["name"] and all("<" not in str(x) for x in trace["x"]), path
    assert seen == set(shown)
    page = (out / "model").glob("*.html")
    titles = sorted(re.search(r"<h1>(.*?)</h1>", p.read_text()).group(1) for p in page)
    assert (
        "Evil/&lt;b&gt;bold&lt;/b&gt;&lt;br&gt;&lt;a href=&#x27;https://evil.example/&#x27;&gt;link&lt;/a&gt;"
        in titles
    )
    assert "Evil/&amp;lt;b&amp;gt;not-bold&amp;amp;" in titles  # entities show as typed
    assert "Evil/&lt;script&gt;window.pwned=1&lt;/script&gt;" in titles


def test_hostile_names_are_text_in_the_feed(hostile_site: tuple[Path, Path]) -> None:
    _, out = hostile_site
    raw = (out / "feed.xml").read_text(encoding="utf-8")
    assert "\x1b" not in raw and "\x07" not in raw and "\r" not in raw  # XML 1.0 cannot even hold them
    root = ET.fromstring(raw)  # well-formed
    _check_rfc4287(root)
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert "Renamed: Evil/plain to Evil/<b>bold</b><br><a href='https://evil.example/'>link</a>" in titles
    assert "New: Evil/<script>window.pwned=1</script>" in titles
    assert "Renamed: Evil/base to Evil/base\\x1b]0;pwned\\x07" in titles  # control characters shown
    summaries = "".join(e.findtext(f"{ATOM}summary") for e in root.findall(f"{ATOM}entry"))
    assert PIPELINE in summaries and LICENSE_NAME.lower() in summaries
    assert "<script>" not in raw and "&lt;script&gt;" in raw


# -- guards for issues built beside this one ----------------------------------------------------------
def test_originals_and_conversions_are_charted_apart() -> None:
    from oss_tracker.reports.site import release_charts

    rows = [{"month": "2025-10", "org": "Qwen", "releases": 5, "originals": 2, "conversions": 3},
            {"month": "2025-11", "org": "Qwen", "releases": 3, "originals": 0, "conversions": 2}]  # fmt: skip
    charts = release_charts(rows, ["Qwen"], "note")
    assert [c.title for c in charts] == [
        "Releases per month", "Original releases per month (conversions and derived models left out)",
        "Conversions per month (quantized or converted copies)"]  # fmt: skip
    assert [[s.values for s in c.series] for c in charts] == [[[5, 3]], [[2, 0]], [[3, 2]]]
    # a month with no original: no originals chart, the others drawn
    none = [{**r, "originals": 0} for r in rows]
    assert [c.title for c in release_charts(none, ["Qwen"], "")][1:] == [
        "Conversions per month (quantized or converted copies)"
    ]


def test_families_are_shown_where_the_database_has_them(bundled_history: Path, tmp_path: Path) -> None:
    """The derivatives page holds `families`' ranking, row for row, once the database has families
    (the bundled days' archive, `backfill --families`); none before."""
    from fixtures.build_archive import main as build_archive

    assert _site(bundled_history, tmp_path / "without").exit_code == 0
    assert "Families" not in (tmp_path / "without" / "derivatives.html").read_text()
    db = copy_db(bundled_history, tmp_path / "families.db")
    assert build_archive([str(tmp_path / "archive")]) == 0
    done = run("backfill", "--families", "--source", str(tmp_path / "archive"), "--db", str(db))
    assert done.exit_code == 0, done.stderr
    ranking = json.loads(run("families", "--db", str(db), "--json").stdout)["families"]
    assert _site(db, tmp_path / "with").exit_code == 0
    page = (tmp_path / "with" / "derivatives.html").read_text()
    part = page.split("<h2>Families of the watched models</h2>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><td>([^<]+)</td><td class="num" data-value="(\d+)">', part)
    assert rows == [(f["id"], str(f["descendants"])) for f in ranking] and len(rows) == 20


def test_every_chart_says_which_days_come_from_the_public_archive(tmp_path: Path) -> None:
    """Two days backfilled from archive files, the third synced: every chart of the overview and
    of an account says so (and a page of one account, of its own days)."""
    from fixtures.build_archive import archive_table, parquet_bytes

    folder = tmp_path / "archive"
    for day in REPLAY_DAYS[:2]:
        target = folder / "models" / day / "models.parquet"
        target.parent.mkdir(parents=True)
        world = json.loads((FIXTURES / "worlds" / f"{day}.json").read_text())
        target.write_bytes(parquet_bytes(archive_table(world)))
    db = tmp_path / "h.db"
    orgs = [a for org in ("deepseek-ai", "MiniMaxAI", "moonshotai", "Qwen", "Wan-AI") for a in ("--org", org)]
    done = run("backfill", "--db", str(db), "--now", "2025-12-01T00:00:00Z", "--source", str(folder), *orgs)
    assert done.exit_code == 0, done.stderr
    done = run("sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / REPLAY_DAYS[2]))
    assert done.exit_code == 0, done.stderr
    out = tmp_path / "site"
    assert _site(db, out).exit_code == 0
    archived = "2 of 3 days from the public archive (local files)"
    for page in ("index.html", "org/Qwen.html"):
        notes = re.findall(r'<p class="note">([^<]*)</p>', (out / page).read_text(encoding="utf-8"))
        assert len(notes) >= 4 and all(archived in note for note in notes), (page, notes)


@pytest.mark.parametrize(
    ("name", "file"),
    [("Qwen/Qwen3-8B", "Qwen--Qwen3-8B"), ("Moonshot AI", "Moonshot-AI-cab2561346"), ("..", "page-5ec1f7e700"),
     ("Evil/\x1b]0;x", "Evil--0-x-073abf3182"), ("a/../../etc", "a--..--..--etc")],
)  # fmt: skip
def test_a_page_file_name_is_one_plain_name(name: str, file: str) -> None:
    from oss_tracker.render.site import slug

    assert slug(name) == file


def test_page_names_that_differ_only_in_case_get_two_files() -> None:
    """Two files that a case-insensitive disk (macOS, Windows) would take for one."""
    from oss_tracker.render.site import paths
    from oss_tracker.reports.model import Page, Report, Site

    empty = Report("", {"entries": [], "orgs": []})
    pages = [
        Page("model", "Org/Model", [empty]),
        Page("model", "org/model", [empty]),
        Page("org", "Org", [empty]),
    ]
    where = paths(Site("t", pages, empty, None, ""))
    assert where == {("model", "Org/Model"): "model/Org--Model.html",
                     ("model", "org/model"): "model/org--model-c87c0c64d2.html", ("org", "Org"): "org/Org.html"}  # fmt: skip


def test_a_history_of_one_day_has_no_trend_yet_and_an_empty_valid_feed(tmp_path: Path) -> None:
    db = tmp_path / "one.db"
    assert run("sync", "--db", str(db), "--replay", str(FIXTURES / "replay" / REPLAY_DAYS[0])).exit_code == 0
    out = tmp_path / "site"
    assert _site(db, out).exit_code == 0
    titles = re.findall(
        r"<figcaption><h[23]>([^<]*)</h[23]>", (out / "index.html").read_text(encoding="utf-8")
    )
    # No period yet: no shares, no downloads per day.
    assert titles == [
        "Releases per month", "Original releases per month (conversions and derived models left out)",
        "Conversions per month (quantized or converted copies)", "Licence mix"
    ]  # fmt: skip
    root = ET.parse(out / "feed.xml").getroot()
    _check_rfc4287(root)
    assert root.findall(f"{ATOM}entry") == [] and root.findtext(f"{ATOM}updated") == "2025-11-24T06:00:00Z"
