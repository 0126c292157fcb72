"""What kind of release a model is: an original, a conversion or a derived model (issue 14).

A company's release counts and licence shares measure packaging when every GGUF, AWQ or MLX copy
counts as a release: most of Qwen's new repos are quantized copies of its own models. So each
model is classified, from what the Hub declares first:

- **conversion**: a quantized copy. Declared (`base_model:quantized:ID`), or inferred where the
  Hub declares no base or guesses `finetune` (as it does for many MLX, ONNX and GPTQ copies): a
  quantization or format in the name (`-GGUF`, `-AWQ`, `-GPTQ-Int4`, `-FP8`, `-Int8`,
  `-MLX-4bit`, `-bnb-4bit`, `-MNN`, `-q4f16_1-MLC`, `-ONNX`, `-fp16-ov`...) or a library that
  only runs converted weights (`gguf`, `mlx`, `mlc-llm`, `onnx`, `openvino`).
- **original**: no declared base (and no such sign), or a base in another company: a DeepSeek
  distil built on a Qwen model is DeepSeek's original, built on Qwen.
- **derived**: a finetune, adapter or merge of a model of its own company (an Instruct model of
  its Base, a Coder of a general model), declared; inferred where the tags name a base but no
  relation, and `baseModels` (read with the derivative counts) gives none either.

A quantization of another company's model is a conversion too, not an original: it is packaging
whoever made the weights. A base naming the model itself (a tag loop the Hub shows on some
repos) declares nothing. "Same company": the same Hub account, or two accounts of one company of
the watch list (Qwen and Wan-AI are both Alibaba's). The kinds are stored on `models` (`kind`,
`kind_inferred`, `kind_basis`), written with each model by the sync and recomputed whole when the
watch list's companies change (`kind_companies` keeps those the kinds were computed with).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

KINDS = ("original", "conversion", "derived")

# A token of the name (between `-`, `_` or `.`) that says quantized or converted weights.
_QUANTIZED = re.compile(
    r"(?:^|[-_.])(gguf|awq|gptq|fp8|fp4|nvfp4|int4|int8|w4a16|w8a8|mlx|mlc|bnb|mnn|onnx|openvino|ov|exl2"
    r"|[0-9]{1,2}bit|q[0-9]{1,2}(?:f[0-9]{1,2}|_k)?)(?=$|[-_.])",
    re.IGNORECASE,
)
CONVERSION_LIBRARIES = frozenset({"gguf", "mlx", "mlc-llm", "onnx", "openvino"})
# `A3B` in `Qwen3-30B-A3B`: 3 billion parameters active per token (a mixture of experts).
_ACTIVE = re.compile(r"(?:^|[-_])A([0-9]{1,4}(?:\.[0-9]{1,2})?)B(?=$|[-_.])")
# model_type values of mixture-of-experts architectures the Hub's `config` names (no MoE flag exists).
MOE_TYPES = frozenset(
    {"deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2", "kimi_linear", "kimi_vl", "minimax",
     "minimax_m1", "minimax_m2", "qwen3_next", "mixtral", "dbrx", "jamba", "glm4_moe", "gpt_oss"}
)  # fmt: skip


def conversion_sign(repo_id: str, library: str | None) -> str | None:
    """What says `repo_id` holds quantized or converted weights: `name: GGUF`, `library: mlx`, or None."""
    found = _QUANTIZED.search(repo_id[repo_id.find("/") + 1 :])  # the name: not its account's
    if found is not None:
        return f"name: {found[1]}"
    if library is not None and library.lower() in CONVERSION_LIBRARIES:
        return f"library: {library.lower()}"
    return None


def active_parameters(repo_id: str) -> int | None:
    """Active parameters a mixture-of-experts name gives (`30B-A3B`: 3,000,000,000), else None."""
    name = repo_id[repo_id.find("/") + 1 :]
    if "A" not in name:
        return None
    found = _ACTIVE.search(name)
    return round(float(found[1]) * 1e9) if found else None


def is_moe(model_type: str | None, active: int | None) -> bool | None:
    """Whether a model is a mixture of experts: True where its config's model type or its name says
    so, else None (not known to be one; never False, which nothing here could tell)."""
    if active is not None:
        return True
    if model_type is not None and ("moe" in model_type.lower() or model_type.lower() in MOE_TYPES):
        return True
    return None


Companies = Mapping[str, str]  # a Hub account (lower case) -> its company in the watch list


def company_map(companies: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """{account (lower case): company} from (company, accounts) pairs (the watch list's)."""
    return {account.lower(): name for name, accounts in companies for account in accounts}


def same_company(a: str, b: str, companies: Companies) -> bool:
    """Two Hub accounts of one company: the same account (any case), or one company's two accounts."""
    a, b = a.lower(), b.lower()
    return a == b or (a in companies and companies.get(b) == companies[a])


def classify(
    repo_id: str, base: str | None, relation: str | None, library: str | None, companies: Companies
) -> tuple[str, int, str]:
    """(kind, 1 if inferred else 0, the basis in words) of one model; see the module's rules."""
    itself = base is not None and base.lower() == repo_id.lower()
    if itself:
        base = relation = None  # a model naming itself as its base declares no base
    if relation == "quantized":
        return "conversion", 0, "declared quantized"
    sign = conversion_sign(repo_id, library)
    if sign is not None:
        return "conversion", 1, sign if base is None else f"{sign} (declared {relation or 'a base'})"
    if base is None:
        return "original", 0, "names itself as its base: no base declared" if itself else "no declared base"
    if not same_company(repo_id.partition("/")[0], base.partition("/")[0], companies):
        return "original", 0, "built on another company's model"
    if relation is None:
        return "derived", 1, "a base of its company, no relation declared"
    return "derived", 0, f"declared {relation}"


# -- stored kinds -------------------------------------------------------------------------------


def stored_companies(db: Database) -> dict[str, str]:
    """The companies the stored kinds were computed with ({} before any)."""
    return dict(db.execute("SELECT account, company FROM kind_companies").fetchall())


def _companies_key(companies: Companies) -> dict[str, str]:
    """Only accounts that share a company change a kind: a one-account company is like none."""
    per: dict[str, int] = {}
    for company in companies.values():
        per[company] = per.get(company, 0) + 1
    return {a: c for a, c in companies.items() if per[c] > 1}


def companies_changed(db: Database, companies: Companies) -> bool:
    return _companies_key(stored_companies(db)) != _companies_key(companies)


def save_companies(db: Database, companies: Companies) -> None:
    db.execute("DELETE FROM kind_companies")
    db.conn.executemany(
        "INSERT INTO kind_companies (account, company) VALUES (?, ?)", sorted(companies.items())
    )


def refresh(db: Database, companies: Companies, where: str = "1", args: Iterable[Any] = ()) -> int:
    """Classify again the models `where` (SQL on `m`, the models table) selects; returns how many
    changed. Where the tags name no base, or a base with no relation, the `baseModels` the
    derivative counts stored (model_bases) fill in: a base of the model's company first."""
    rows = db.execute(
        f"""SELECT m.id, m.repo_id, m.base_model, m.base_relation, m.library_name, m.kind, m.kind_inferred,
                   m.kind_basis,
                   CASE WHEN m.base_relation IS NULL
                        THEN (SELECT json_group_array(json_array(b.base_repo_id, b.relation))
                              FROM model_bases b WHERE b.model_id = m.id) END
            FROM models m WHERE {where}""",
        list(args),
    ).fetchall()
    changes = []
    for model_id, repo_id, base, relation, library, *stored, declared in rows:
        if declared is not None and declared != "[]":
            base, relation = _with_bases(repo_id, base, _pairs(declared), companies)
        kind = classify(repo_id, base, relation, library, companies)
        if list(kind) != stored:
            changes.append([*kind, model_id])
    # `conn`: a sync's Store or sqlite-utils' Database (a migration may run under either).
    db.conn.executemany("UPDATE models SET kind = ?, kind_inferred = ?, kind_basis = ? WHERE id = ?", changes)
    return len(changes)


def _pairs(declared: str) -> list[tuple[str, str | None]]:
    import json

    return [(b, r) for b, r in json.loads(declared) if isinstance(b, str)]


def _with_bases(
    repo_id: str, tag_base: str | None, bases: list[tuple[str, str | None]], companies: Companies
) -> tuple[str | None, str | None]:
    """The base and relation to classify by, when the tags gave no relation: a declared base of the
    model's own company first (a merge of its own and another's model is derived), then any."""
    org = repo_id.partition("/")[0]
    usable = [(b, r) for b, r in bases if b.lower() != repo_id.lower()]
    own = [(b, r) for b, r in usable if same_company(org, b.partition("/")[0], companies)]
    for base, relation in own + usable:
        if relation is not None:
            return base, relation
    return tag_base or (usable[0][0] if usable else None), None
