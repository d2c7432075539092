"""``tuneforge data check --data PATH [--dataset NAME] --base MODEL [--cutoff N] [--json]``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "data",
        help="check a fine-tuning dataset against a base model's chat template",
        description="Check a dataset before training: its format, examples, tokens, trained "
        "(answer) tokens, examples cut by the cutoff, a length histogram and duplicates. Every "
        "problem is listed as FILE:LINE: what is wrong. Exit status 1 when there is any.",
    )
    actions = parser.add_subparsers(dest="data_action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="check a dataset (see `tuneforge data check -h`)",
                               description="Formats: alpaca (instruction/input/output), sharegpt "
                               "(conversations with from/value), OpenAI messages (role/content), and "
                               "LLaMA-Factory's dataset_info.json (--data DIR --dataset NAME). "
                               "JSON, JSONL, CSV, Parquet (with pyarrow).")  # fmt: skip
    check.add_argument(
        "--data", type=Path, required=True, help="data file, folder, or dataset_info.json"
    )
    check.add_argument("--dataset", default=None, help="entry name in dataset_info.json")
    check.add_argument(
        "--base",
        type=Path,
        required=True,
        help="base model folder (its chat template and tokenizer are used)",
    )
    check.add_argument(
        "--cutoff", type=int, default=2048, help="maximum tokens per example (default 2048)"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from engine.train.check import check_dataset

    report = check_dataset(data=args.data, dataset=args.dataset, base=args.base, cutoff=args.cutoff)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 1 if report.errors else 0
    print(f"format:          {report.format}")
    print(f"conversations:   {report.conversations}")
    print(f"examples:        {report.examples}")
    print(f"tokens:          {report.total_tokens:,} (longest {report.max_tokens:,})")
    share = 100 * report.trained_tokens / report.total_tokens if report.total_tokens else 0
    print(f"trained tokens:  {report.trained_tokens:,} ({share:.0f}% of all; answers only)")
    print(f"truncated:       {report.truncated} (longer than the cutoff of {report.cutoff})")
    print(f"duplicates:      {report.duplicates}")
    if report.examples:
        print("lengths:")
        top = max(b["count"] for b in report.histogram) or 1
        for b in report.histogram:
            label = f"{b['from']}-{b['to']}" if b["from"] <= report.cutoff else f">{report.cutoff}"
            print(f"  {label:>13} {'█' * round(30 * b['count'] / top):<30} {b['count']}")
    if report.errors:
        print(f"{len(report.errors)} problem(s):")
        for e in report.errors:
            print(f"  {e['file']}:{e['line']}: {e['message']}")
        return 1
    return 0
