"""A reason as data: a kind code and its parameters, which a planner gives and an edge (a page,
a workbook, the CLI's JSON) puts into the reader's words.

The planners explain what they did — why a teacher moves, why a plan adds classrooms — and the
same explanation is read in Chinese and in English. The planner says only *which* explanation
and *with which numbers*; a table of words per language (one function per kind, since a
sentence may leave out a clause when a number is missing) turns it into text. The Chinese words
are those the planners always wrote, so the JSON and Excel in Chinese do not change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("zh", "en")
# kind -> the sentence for the parameters; a reason's words may need the whole table (a reason
# that lists other reasons), so each function is given it.
Words = Mapping[str, Callable[[Mapping[str, Any], "Words"], str]]


@dataclass(frozen=True)
class Reason:
    """Why, without words: ``kind`` names the sentence, ``params`` fills it in. A parameter may
    be a nested :class:`Reason` or a list of them (a summary of failed checks)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def words(self, table: Mapping[str, Words], lang: str) -> str:
        """The reason in ``lang`` (Chinese for a language the table has no words for)."""
        words = table.get(lang) or table["zh"]
        return words[self.kind](self.params, words)


def in_words(reasons: list[Reason] | tuple[Reason, ...], table: Mapping[str, Words],
             lang: str) -> list[str]:
    return [r.words(table, lang) for r in reasons]
