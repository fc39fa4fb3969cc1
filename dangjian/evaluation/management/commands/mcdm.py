"""python manage.py mcdm {ahp,entropy,critic,topsis}: the evaluation's arithmetic on JSON, to
check a computation by hand (docs/evaluation.md).

Reads one JSON object on standard input and prints one on standard output:

    echo '{"matrix": [[1, 3], [0.3333, 1]]}' | python manage.py mcdm ahp
    echo '{"matrices": [[[1, 3], [0.3333, 1]], [[1, 5], [0.2, 1]]]}' | python manage.py mcdm ahp
    echo '{"matrix": [[8, 7], [5, 3]], "types": [1, -1]}' | python manage.py mcdm entropy --normalise sum
    echo '{"matrix": [[8, 7], [5, 3]], "weights": [0.6, 0.4]}' | python manage.py mcdm topsis

``matrix``: for AHP the pairwise comparisons (a number or a fraction written "1/3"); otherwise
the units' values, a row a unit and a column a criterion. ``matrices``: several experts' AHP
matrices, combined by geometric mean. ``types``: 1 (benefit) or -1 (cost) per column.
``weights``: TOPSIS's criterion weights. Bad input ends with exit status 2 and a message.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.evaluation import mcdm

MAX_INPUT = 1_000_000  # characters: a hundred units by forty criteria is a few tens of kB


def _number(value: Any, where: str) -> float:
    if isinstance(value, str):
        try:
            return float(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            raise CommandError(f"{where}: {value!r} is not a number or a fraction such as 1/3") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CommandError(f"{where}: {value!r} is not a number")
    return float(value)


def _matrix(value: Any, name: str) -> list[list[float]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise CommandError(f"{name}: a list of rows, each a list of numbers")
    return [[_number(v, f"{name} row {i + 1}") for v in row] for i, row in enumerate(value)]


class Command(BaseCommand):
    help = "AHP, entropy, CRITIC or TOPSIS on a JSON matrix read from standard input; prints JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("method", choices=("ahp", "entropy", "critic", "topsis"))
        parser.add_argument("--ri", choices=sorted(mcdm.RI_TABLES), default="saaty1980", help="AHP random index table")
        parser.add_argument("--method", dest="priority", choices=("eigen", "geometric"), default="eigen")
        parser.add_argument(
            "--normalise",
            choices=("minmax", "sum", "vector"),
            default=None,
            help="minmax (entropy, CRITIC default), sum, or vector (TOPSIS default)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self._read_and_run(options)
        except (CommandError, mcdm.MCDMError) as err:
            raise CommandError(str(err), returncode=2) from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

    def _read_and_run(self, options: dict) -> dict:
        text = sys.stdin.read(MAX_INPUT + 1)
        if len(text) > MAX_INPUT:
            raise CommandError(f"input: more than {MAX_INPUT} characters")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise CommandError(f"input: not JSON ({err})") from None
        if not isinstance(data, dict):
            raise CommandError('input: a JSON object such as {"matrix": [[1, 3], [0.3333, 1]]}')
        return self._run(options["method"], data, options)

    def _run(self, method: str, data: dict, options: dict) -> dict:
        types = data.get("types")
        if types is not None and (not isinstance(types, list) or any(t not in (1, -1) for t in types)):
            raise CommandError("types: a list of 1 (benefit) and -1 (cost)")
        if method == "ahp":
            if "matrices" in data:
                if not isinstance(data["matrices"], list) or not data["matrices"]:
                    raise CommandError("matrices: a list of the experts' matrices")
                matrices = [_matrix(m, f"matrices[{k}]") for k, m in enumerate(data["matrices"])]
                matrix = mcdm.combine_judgements(matrices)
            else:
                matrix = _matrix(data.get("matrix"), "matrix")
            found = mcdm.ahp(matrix, method=options["priority"], ri=options["ri"])
            return {**found.as_dict(), "matrix": matrix}
        matrix = _matrix(data.get("matrix"), "matrix")
        if method == "entropy":
            return mcdm.entropy(matrix, types, how=options["normalise"] or "minmax")
        if method == "critic":
            return mcdm.critic(matrix, types, how=options["normalise"] or "minmax")
        weights = data.get("weights")
        if not isinstance(weights, list):
            raise CommandError("weights: TOPSIS needs one weight per column")
        return mcdm.topsis(
            matrix,
            [_number(w, "weights") for w in weights],
            types,
            how=options["normalise"] or "vector",
        )
