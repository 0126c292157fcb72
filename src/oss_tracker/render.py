"""The only place that formats: one Report in, table | json | csv | markdown out."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from oss_tracker.reports import Column, Report, Section

FORMATS = ("table", "json", "csv", "markdown")


def cell(value: Any, kind: str) -> str:
    """A value for people: thousands separators, signed changes, dates without the clock."""
    if value is None:
        return "—" if kind in ("delta", "int", "float", "pct") else ""
    if kind == "int":
        return f"{value:,}"
    if kind == "delta":
        return f"{value:+,}" if value else "0"
    if kind == "float":
        return f"{value:,.2f}"
    if kind == "pct":
        return f"{value:+.1f}%" if isinstance(value, int | float) else str(value)
    if kind == "date":
        return str(value)[:10]
    return str(value)


def to_json(report: Report) -> str:
    return json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"


def to_csv(report: Report) -> str:
    """The report's main (first non-summary) section, raw values, one header row."""
    section = report.sections[_main(report)] if report.sections else Section("", [], [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in section.columns])
    for row in section.rows:
        writer.writerow(["" if row.get(c.key) is None else row.get(c.key) for c in section.columns])
    return out.getvalue()


def _main(report: Report) -> int:
    # A report that opens with a totals block has its list in the next section.
    return 1 if len(report.sections) > 1 and report.sections[0].title.startswith("Totals") else 0


def to_markdown(report: Report) -> str:
    parts = [f"# {report.title}", ""]
    for section in report.sections:
        parts += [f"## {section.title}", ""]
        if not section.rows:
            parts += [f"_{section.empty}_", ""]
            continue
        parts.append("| " + " | ".join(c.title or c.key for c in section.columns) + " |")
        parts.append("|" + "|".join(_md_align(c) for c in section.columns) + "|")
        for row in section.rows:
            parts.append(
                "| " + " | ".join(_md_escape(cell(row.get(c.key), c.kind)) for c in section.columns) + " |"
            )
        parts.append("")
    if report.footer:
        parts += [f"_{report.footer}_", ""]
    return "\n".join(parts)


def _md_align(column: Column) -> str:
    return "---:" if column.kind in ("int", "delta", "float", "pct") else "---"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def to_table(report: Report, console: Any) -> None:
    """Rich tables on the given console, one per section, and a dim footer."""
    from rich.table import Table

    console.print(f"[bold]{report.title}[/bold]")
    for section in report.sections:
        if not section.rows:
            console.print(f"\n[bold]{section.title}[/bold]\n  {section.empty}")
            continue
        table = Table(title=section.title, title_justify="left", title_style="bold")
        for c in section.columns:
            table.add_column(
                c.title, justify="right" if c.kind in ("int", "delta", "float", "pct") else "left"
            )
        for row in section.rows:
            table.add_row(*(_styled(row.get(c.key), c.kind) for c in section.columns))
        console.print(table)
    if report.footer:
        console.print(f"[dim]{report.footer}[/dim]")


def _styled(value: Any, kind: str) -> str:
    from rich.markup import escape

    text = escape(cell(value, kind))
    if kind == "delta" and isinstance(value, int) and value < 0:
        return f"[red]{text}[/red]"
    if kind == "delta" and isinstance(value, int) and value > 0:
        return f"[green]{text}[/green]"
    return text


def render(report: Report, fmt: str, console: Any) -> None:
    """Write the report to stdout in `fmt` (tables through the rich console)."""
    if fmt == "table":
        to_table(report, console)
        return
    text = {"json": to_json, "csv": to_csv, "markdown": to_markdown}[fmt](report)
    console.file.write(text)
