"""The one error type every reader raises for bad input, naming the file, line and field."""

from pathlib import Path


class SkeletonFileError(ValueError):
    """A skeleton file is unreadable: truncated, wrong joint count, non-number, NaN/inf, empty, no frames.

    Attributes: path (the file), line (1-based line number or None), field (what was being read or None).
    str(error) reads "path:line: field: problem".
    """

    def __init__(self, path, problem: str, line: int | None = None, field: str | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        self.field = field
        self.problem = problem
        where = str(self.path) if self.path is not None else "<input>"
        if line is not None:
            where += f":{line}"
        what = f"{field}: " if field else ""
        super().__init__(f"{where}: {what}{problem}")
