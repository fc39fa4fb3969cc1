"""A worker's everyday task driven in the browser, its inputs counted and its human time
estimated with a keystroke-level model (issue #16; docs/workload.md).

Every step a test takes goes through a ``Task``, which counts it the way a time-and-motion study
would, from the role's workbench:

* an **input** is a field the worker fills or changes: typed text, a choice from a list, a box
  ticked, a quick phrase tapped. Each costs a decision (M, 1.35 s) and a pointing (P, 1.1 s), and
  typed text 1 s per Chinese character and 0.28 s per other keystroke (KLM's K for an average
  typist; a worker types pinyin initials or the last digits of a mobile as keystrokes).
* a **click** that is no input (a link, a button that sends the form, a download) costs a decision
  and a pointing.

What the platform fills in (the signed-in worker, today, the oldest unpaid month, the service's
phrases) costs nothing: that is the point. The test asserts the task's outcome in the database, so
a task that needs more than the counted inputs fails rather than passing with fewer. The machine
time (page loads, from the first step to the last) is measured too but never asserted; with
TASK_REPORT=<file> each task appends its figures as a JSON line (for docs/workload.md).
"""

import json
import os
import time
from dataclasses import dataclass, field

from playwright.sync_api import Locator, Page

DECISION = 1.35  # M
POINTING = 1.1  # P
CHINESE_CHARACTER = 1.0
KEYSTROKE = 0.28  # K
MAX_INPUTS = 5
MAX_SECONDS = 30.0


def _typing(text: str) -> float:
    chinese = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")
    return chinese * CHINESE_CHARACTER + (len(text) - chinese) * KEYSTROKE


@dataclass
class Task:
    page: Page
    name: str
    inputs: int = 0
    clicks: int = 0
    typed: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def _locate(self, target: str | Locator) -> Locator:
        return self.page.locator(target).first if isinstance(target, str) else target

    # inputs
    def type(self, target: str | Locator, text: str) -> None:
        """Type ``text`` into a field (key by key, as a person does: scripts see each key)."""
        field_ = self._locate(target)
        field_.click()
        field_.press_sequentially(text)
        self.inputs += 1
        self.typed.append(text)

    def choose(self, target: str | Locator, *, label: str | None = None, value: str | None = None) -> None:
        """Pick an option of a list."""
        field_ = self._locate(target)
        if label is not None:
            field_.select_option(label=label)
        else:
            field_.select_option(value)
        self.inputs += 1

    def tap(self, target: str | Locator) -> None:
        """Tick a box, pick a radio button or insert a quick phrase."""
        self._locate(target).click()
        self.inputs += 1

    def go_on_typing(self, text: str) -> None:
        """Type on in the field a tap has just filled and focused (an estate, then the house number):
        the same input, so only the keystrokes count."""
        self.page.keyboard.type(text)
        self.typed.append(text)

    # no inputs
    def click(self, target: str | Locator) -> None:
        """Follow a link or send a form."""
        self._locate(target).click()
        self.clicks += 1

    @property
    def seconds(self) -> float:
        """The keystroke-level estimate of the worker's time."""
        return round((self.inputs + self.clicks) * (DECISION + POINTING) + sum(map(_typing, self.typed)), 1)

    def finish(self) -> "Task":
        """Record the figures (TASK_REPORT) and check the task is within issue #16's bounds."""
        machine = time.perf_counter() - self.started
        if path := os.environ.get("TASK_REPORT"):
            with open(path, "a", encoding="utf-8") as out:
                row = {
                    "task": self.name,
                    "inputs": self.inputs,
                    "clicks": self.clicks,
                    "typed": self.typed,
                    "human_seconds": self.seconds,
                    "machine_seconds": round(machine, 2),
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        assert self.inputs <= MAX_INPUTS, f"{self.name}: {self.inputs} inputs"
        assert self.seconds <= MAX_SECONDS, f"{self.name}: {self.seconds} s estimated"
        return self
