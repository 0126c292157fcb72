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

import contextlib
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from oss_tracker import names


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
        raise WatchListError(f"no company {names.shown(name)} in the watch list (known: {known})")

    def group(self, name: str) -> list[Company]:
        for key, members in self.groups.items():
            if key.lower() == name.lower():
                return [self.company(m) for m in members]
        known = ", ".join(self.groups) or "none"
        raise WatchListError(f"no group {names.shown(name)} in the watch list (known: {known})")

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
    def add(
        self,
        account: str,
        company: str | None,
        country: str | None,
        group: str | None,
        *,
        verified: bool = True,
    ) -> Company:
        """Watch `account` under `company` (default: a company of its own name); `verified=False`
        (not checked on the Hub, `watch add --no-check`) lists it under the company's `unverified`.
        The names are checked where every watch list is, in `parse`: `save` refuses a list `load`
        could not read."""
        owner = self.company_of(account)
        if owner is not None:
            raise WatchListError(f"'{account}' is already watched (company {owner.name})")
        name = company or account
        try:
            target = self.company(name)
        except WatchListError:
            target = self.companies.setdefault(name, Company(name, [], country))
        target.accounts.append(account)
        if not verified:
            target.unverified.append(account)
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
    """A watch list from TOML data; WatchListError (naming the file and the value) if any name is wrong.

    Every account is a Hub name (it goes into URLs), watched once: the same account twice,
    even spelled `Qwen` and `qwen` or under two companies, would count its models twice in
    every company and group sum.
    """
    where = str(path) if path else "the watch list"
    raw = data.get("companies", {})
    if not isinstance(raw, dict):
        raise WatchListError(f"{where}: [companies] must be a table")
    companies: dict[str, Company] = {}
    owners: dict[str, str] = {}  # account (lower case) -> the place it was first listed
    for name, body in raw.items():
        _check(where, names.label_problem(name, "company name"))
        if not isinstance(body, dict):
            raise WatchListError(f"{where}: companies.{name} must be a table")
        accounts = body.get("accounts", [])
        if not isinstance(accounts, list) or not accounts:
            raise WatchListError(f"{where}: companies.{name}.accounts must be a non-empty list of names")
        for account in accounts:
            _check(where, names.account_problem(account), f"companies.{name}.accounts")
            here = f"companies.{name}.accounts"
            first = owners.get(account.lower())
            if first is not None:
                places = f"twice in {here}" if first == here else f"in {first} and in {here}"
                raise WatchListError(f"{where}: the account '{account}' is listed {places}: list it once")
            owners[account.lower()] = here
        unverified = body.get("unverified", [])
        if not isinstance(unverified, list):
            raise WatchListError(f"{where}: companies.{name}.unverified must be a list of names")
        for account in unverified:
            _check(where, names.account_problem(account), f"companies.{name}.unverified")
        country = body.get("country")
        if country is not None:
            _check(where, names.label_problem(country, "country"), f"companies.{name}.country")
        for other in companies:
            if other.lower() == name.lower():
                raise WatchListError(f"{where}: the companies '{other}' and '{name}' differ only in case")
        companies[name] = Company(name, list(accounts), country, list(unverified))
    groups_raw = data.get("groups", {})
    if not isinstance(groups_raw, dict):
        raise WatchListError(f"{where}: [groups] must be a table")
    groups: dict[str, list[str]] = {}
    for name, members in groups_raw.items():
        _check(where, names.label_problem(name, "group name"))
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise WatchListError(f"{where}: groups.{name} must be a list of company names")
        for m in members:
            if m not in companies:
                raise WatchListError(f"{where}: group {name} names '{m}', which is not a company")
        if len(set(members)) != len(members):
            twice = next(m for m in members if members.count(m) > 1)
            raise WatchListError(
                f"{where}: group {name} names '{twice}' twice: its accounts would count twice"
            )
        for other in groups:
            if other.lower() == name.lower():
                raise WatchListError(f"{where}: the groups '{other}' and '{name}' differ only in case")
        groups[name] = list(members)
    if not companies:
        raise WatchListError(f"{where}: no companies: the tracker would watch nothing")
    return WatchList(companies, groups, path)


def _check(where: str, problem: str | None, place: str = "") -> None:
    if problem:
        raise WatchListError(f"{where}: {place + ': ' if place else ''}{problem}")


# TOML basic strings (toml.io, v1.0.0): `"` and `\\` escaped, and every control character
# (U+0000-U+001F, U+007F) written as an escape; everything else as is (the file is UTF-8).
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _quote(text: str) -> str:
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _key(name: str) -> str:
    # A bare key is A-Za-z0-9, `_` and `-` only; anything else is a quoted key.
    bare = name and all(c.isascii() and (c.isalnum() or c in "-_") for c in name)
    return name if bare else _quote(name)


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
    """Write atomically: a crash mid-write never leaves half a watch list.

    The text goes to a new file of a fresh name (mkstemp: O_CREAT | O_EXCL, so never through a
    symlink planted there), which then replaces the list (a rename replaces a symlink itself,
    never its target).
    """
    import tempfile

    text = dumps(wl)
    # What is written is what every later command reads: a list `load` would refuse (a name
    # with a newline, an account twice) is refused here, before the file is touched.
    parse(tomllib.loads(text), path)
    data = text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:  # keep the list's permissions (mkstemp makes it 0600)
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
