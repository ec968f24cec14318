"""Every reason code the engine can give a file, read from the engine's source.

A reason is a short code (`close_runner_up`) that the engine puts in an item's `reasons`, in
a plan's, an identification's or a verdict's. They are module constants or literals spread
over the subpackages, so they are found where they are used, with the syntax tree:

- `reasons.append(X)` (also `add`, `extend`, `update`) on anything named like a reason;
- a keyword argument named like one (`reasons=(X,)`, `reason=X`);
- a positional argument that lands in a record's field named like one (`Placed(.., X)`,
  `PlannedFile(.., (*reasons, X))`, `Verdict(.., ("approved",), ..)`), the record's fields
  read from its class body;
- an assignment to a name like one (`SKIP_REASONS = frozenset({...})`);
- a tuple that extends reasons (`(*found.reasons, X)`);
- what a function named like one returns (`ignore_reason`), and the tuples of codes a
  function returns beside something else (`return None, (ID_HINT_NOT_FOUND,)`).

Names are resolved through the engine's module-level string constants.
"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "custom_components" / "videodrome" / "engine"


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in ENGINE.rglob("*.py")}


def _constants(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    """Module-level `NAME = "text"` constants of the whole engine, by name."""
    table: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in tree.body:
            if not isinstance(node, ast.Assign | ast.AnnAssign):
                continue
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        table.setdefault(target.id, set()).add(node.value.value)
    return table


def _fields(trees: dict[Path, ast.Module]) -> dict[str, list[str]]:
    """The annotated fields of every class, in order (dataclasses, named tuples)."""
    found: dict[str, list[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = [
                    statement.target.id
                    for statement in node.body
                    if isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                ]
                if names:
                    found[node.name] = names
    return found


def _values(expr: ast.expr | None, table: dict[str, set[str]]) -> set[str]:
    """The codes an expression can hold: literals and constants, through containers."""
    match expr:
        case ast.Constant(value=str() as text) if text:
            return {text}
        case ast.Name(id=name):
            return table.get(name, set())
        case ast.Tuple(elts=items) | ast.List(elts=items) | ast.Set(elts=items):
            return set().union(*(_values(item, table) for item in items))
        case ast.IfExp(body=body, orelse=orelse):
            return _values(body, table) | _values(orelse, table)
        case ast.BoolOp(values=items):
            return set().union(*(_values(item, table) for item in items))
        case ast.BinOp(left=left, right=right):
            return _values(left, table) | _values(right, table)
        case ast.Call(func=ast.Name(id="frozenset" | "set" | "tuple" | "list"), args=args):
            return set().union(*(_values(arg, table) for arg in args))
    return set()


def _like_reason(node: ast.AST | str) -> bool:
    text = node if isinstance(node, str) else ast.unparse(node)
    return "reason" in text.lower()


def _in_call(node: ast.Call, table: dict[str, set[str]], fields: dict[str, list[str]]) -> set[str]:
    found: set[str] = set()
    func = node.func
    growing = isinstance(func, ast.Attribute) and func.attr in {"append", "add", "extend", "update"}
    if growing and isinstance(func, ast.Attribute) and _like_reason(func.value) and node.args:
        found |= _values(node.args[0], table)
    for keyword in node.keywords:
        if keyword.arg is not None and _like_reason(keyword.arg):
            found |= _values(keyword.value, table)
    if isinstance(func, ast.Name):
        for field, arg in zip(fields.get(func.id, ()), node.args, strict=False):
            if _like_reason(field):
                found |= _values(arg, table)
    return found


def _returned(node: ast.FunctionDef | ast.AsyncFunctionDef, table: dict[str, set[str]]) -> set[str]:
    returns = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value]
    if _like_reason(node.name):
        return set().union(*(_values(value, table) for value in returns))
    if node.returns is None or "tuple[str, ...]" not in ast.unparse(node.returns):
        return set()
    return {
        code
        for value in returns
        if isinstance(value, ast.Tuple)
        for item in value.elts
        if isinstance(item, ast.Tuple)
        for code in _values(item, table)
    }


def reason_codes() -> dict[str, set[str]]:
    """Every reason code, with the engine modules it is given in."""
    trees = _trees()
    table, fields = _constants(trees), _fields(trees)
    found: dict[str, set[str]] = {}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            codes: set[str] = set()
            if isinstance(node, ast.Call):
                codes = _in_call(node, table, fields)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(_like_reason(target) for target in targets):
                    codes = _values(node.value, table)
            elif isinstance(node, ast.Tuple):
                starred = [e for e in node.elts if isinstance(e, ast.Starred)]
                if any(_like_reason(e.value) for e in starred):
                    codes = _values(ast.Tuple([e for e in node.elts if e not in starred]), table)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                codes = _returned(node, table)
            for code in codes:
                found.setdefault(code, set()).add(path.relative_to(ENGINE).as_posix())
    return found
