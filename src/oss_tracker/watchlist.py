"""The watch list: companies with their Hub accounts and country, and named groups of companies.

Kept in a small TOML file (default `~/.config/oss-tracker/watchlist.toml`, or
`$OSS_TRACKER_CONFIG`, or `--config PATH`):

    [companies.Alibaba]
    accounts = ["Qwen", "Wan-AI"]
    country = "CN"

    [groups]
    china = ["Alibaba", "DeepSeek"]

Without a file, the tracker watches the four organizations of its mission.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


class WatchListError(Exception):
    """A watch list that cannot be read, or a name that is not in it."""


@dataclass
class Company:
    name: str
    accounts: list[str]
    country: str | None = None
    unverified: list[str] = field(default_factory=list)


@dataclass
class WatchList:
    companies: dict[str, Company]
    groups: dict[str, list[str]]
    path: Path | None = None

    # -- lookups ------------------------------------------------------------------------
    def accounts(self) -> list[str]:
        """Every watched Hub account, each once, in file order."""
        seen: dict[str, str] = {}
        for company in self.companies.values():
            for account in company.accounts:
                seen.setdefault(account.lower(), account)
        return list(seen.values())

    def company(self, name: str) -> Company:
        for key, company in self.companies.items():
            if key.lower() == name.lower():
                return company
        known = ", ".join(self.companies) or "none"
        raise WatchListError(f"no company '{name}' in the watch list (known: {known})")

    def group(self, name: str) -> list[Company]:
        for key, members in self.groups.items():
            if key.lower() == name.lower():
                return [self.company(m) for m in members]
        known = ", ".join(self.groups) or "none"
        raise WatchListError(f"no group '{name}' in the watch list (known: {known})")

    def company_of(self, account: str) -> Company | None:
        for company in self.companies.values():
            if account.lower() in (a.lower() for a in company.accounts):
                return company
        return None

    def resolve(
        self, orgs: list[str] | None, companies: list[str] | None, groups: list[str] | None
    ) -> list[str] | None:
        """The accounts that `--org`, `--company` and `--group` name together (None: no filter)."""
        if not (orgs or companies or groups):
            return None
        out: dict[str, str] = {}
        for org in orgs or []:
            out.setdefault(org.lower(), org)
        for name in companies or []:
            for account in self.company(name).accounts:
                out.setdefault(account.lower(), account)
        for name in groups or []:
            for company in self.group(name):
                for account in company.accounts:
                    out.setdefault(account.lower(), account)
        return list(out.values())

    # -- changes ------------------------------------------------------------------------
    def add(self, account: str, company: str | None, country: str | None, group: str | None) -> Company:
        if self.company_of(account) is not None:
            raise WatchListError(f"'{account}' is already watched (company {self.company_of(account).name})")
        name = company or account
        try:
            target = self.company(name)
        except WatchListError:
            target = self.companies.setdefault(name, Company(name, [], country))
        target.accounts.append(account)
        if country and not target.country:
            target.country = country
        if group:
            members = next((m for k, m in self.groups.items() if k.lower() == group.lower()), None)
            if members is None:
                members = self.groups.setdefault(group, [])
            if target.name not in members:
                members.append(target.name)
        return target

    def remove(self, account: str) -> Company:
        company = self.company_of(account)
        if company is None:
            raise WatchListError(f"'{account}' is not in the watch list")
        company.accounts = [a for a in company.accounts if a.lower() != account.lower()]
        company.unverified = [a for a in company.unverified if a.lower() != account.lower()]
        if not company.accounts:
            del self.companies[company.name]
            for members in self.groups.values():
                if company.name in members:
                    members.remove(company.name)
        return company


def default() -> WatchList:
    """The mission's four organizations, as four Chinese companies."""
    companies = {
        "DeepSeek": Company("DeepSeek", ["deepseek-ai"], "CN"),
        "Alibaba": Company("Alibaba", ["Qwen"], "CN"),
        "Moonshot AI": Company("Moonshot AI", ["moonshotai"], "CN"),
        "MiniMax": Company("MiniMax", ["MiniMaxAI"], "CN"),
    }
    return WatchList(companies, {"china": list(companies)})


def default_path() -> Path:
    env = os.environ.get("OSS_TRACKER_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "oss-tracker" / "watchlist.toml"


def load(path: Path | None = None, *, explicit: bool = False) -> WatchList:
    """Read the watch list; a missing default file means the default list, a missing named one is an error."""
    target = path or default_path()
    if not target.exists():
        if explicit:
            raise WatchListError(f"no watch list at {target}")
        wl = default()
        wl.path = target
        return wl
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise WatchListError(f"cannot read {target}: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise WatchListError(f"{target} is not valid TOML: {err}") from None
    return parse(data, target)


def parse(data: dict, path: Path | None = None) -> WatchList:
    where = str(path) if path else "the watch list"
    raw = data.get("companies", {})
    if not isinstance(raw, dict):
        raise WatchListError(f"{where}: [companies] must be a table")
    companies: dict[str, Company] = {}
    for name, body in raw.items():
        if not isinstance(body, dict):
            raise WatchListError(f"{where}: companies.{name} must be a table")
        accounts = body.get("accounts", [])
        if (
            not isinstance(accounts, list)
            or not accounts
            or not all(isinstance(a, str) and a for a in accounts)
        ):
            raise WatchListError(f"{where}: companies.{name}.accounts must be a non-empty list of names")
        unverified = body.get("unverified", [])
        if not isinstance(unverified, list) or not all(isinstance(a, str) for a in unverified):
            raise WatchListError(f"{where}: companies.{name}.unverified must be a list of names")
        country = body.get("country")
        if country is not None and not isinstance(country, str):
            raise WatchListError(f"{where}: companies.{name}.country must be a string")
        companies[name] = Company(name, list(accounts), country, list(unverified))
    groups_raw = data.get("groups", {})
    if not isinstance(groups_raw, dict):
        raise WatchListError(f"{where}: [groups] must be a table")
    groups: dict[str, list[str]] = {}
    for name, members in groups_raw.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise WatchListError(f"{where}: groups.{name} must be a list of company names")
        for m in members:
            if m not in companies:
                raise WatchListError(f"{where}: group {name} names '{m}', which is not a company")
        groups[name] = list(members)
    if not companies:
        raise WatchListError(f"{where}: no companies: the tracker would watch nothing")
    return WatchList(companies, groups, path)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() and name.isascii() else _quote(name)


def dumps(wl: WatchList) -> str:
    lines = ["# oss-tracker watch list: companies, their Hub accounts, and groups of companies.", ""]
    for company in wl.companies.values():
        lines.append(f"[companies.{_key(company.name)}]")
        lines.append("accounts = [" + ", ".join(_quote(a) for a in company.accounts) + "]")
        if company.country:
            lines.append(f"country = {_quote(company.country)}")
        if company.unverified:
            lines.append("unverified = [" + ", ".join(_quote(a) for a in company.unverified) + "]")
        lines.append("")
    if wl.groups:
        lines.append("[groups]")
        for name, members in wl.groups.items():
            lines.append(f"{_key(name)} = [" + ", ".join(_quote(m) for m in members) + "]")
        lines.append("")
    return "\n".join(lines)


def save(wl: WatchList, path: Path) -> None:
    """Write atomically: a crash mid-write never leaves half a watch list."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(wl), encoding="utf-8")
    os.replace(tmp, path)
