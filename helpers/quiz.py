"""Multiple-choice quizzes as ipywidgets (JupyterLab and Colab), with an explanation per answer."""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

import ipywidgets as widgets


@dataclass(frozen=True)
class Question:
    """One question: ``explanations[i]`` explains why option ``i`` is right or wrong."""

    prompt: str
    options: list[str]
    answer: int
    explanations: list[str]

    def __post_init__(self) -> None:
        if len(self.options) < 2:
            raise ValueError(f"Question {self.prompt!r} needs at least 2 options.")
        if len(self.explanations) != len(self.options):
            raise ValueError(f"Question {self.prompt!r}: {len(self.options)} options but "
                             f"{len(self.explanations)} explanations; give one per option.")
        if not 0 <= self.answer < len(self.options):
            raise ValueError(f"Question {self.prompt!r}: answer {self.answer} is not an option "
                             f"index (0..{len(self.options) - 1}).")


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")


def inline_html(text: str) -> str:
    """Escape ``text`` for HTML and render its inline Markdown: `code`, **bold**, *italic*."""
    html = _CODE.sub(r"<code>\1</code>", escape(text))
    return _ITALIC.sub(r"<i>\1</i>", _BOLD.sub(r"<b>\1</b>", html))


def plain(text: str) -> str:
    """``text`` without inline Markdown marks (radio-button labels cannot show HTML)."""
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", _CODE.sub(r"\1", text)))


@dataclass(frozen=True)
class Feedback:
    """``correct`` is None while no option is chosen (a hint, not a wrong answer)."""

    correct: bool | None
    explanation: str

    def html(self) -> str:
        if self.correct is None:
            return f"<span style='color:dimgray'>{inline_html(self.explanation)}</span>"
        mark, color = ("✅ Correct.", "green") if self.correct else ("❌ Not quite.", "firebrick")
        return f"<b style='color:{color}'>{mark}</b> {inline_html(self.explanation)}"


def grade(question: Question, choice: int | None) -> Feedback:
    """Feedback for choosing option ``choice`` (None: nothing chosen yet)."""
    if choice is None:
        return Feedback(None, "Choose an option first, then press Check.")
    return Feedback(choice == question.answer, question.explanations[choice])


class QuestionWidget(widgets.VBox):
    """Radio buttons, a Check button and a feedback line for one question."""

    def __init__(self, question: Question, number: int):
        self.question = question
        self.choices = widgets.RadioButtons(options=list(enumerate_options(question)), value=None,
                                            layout=widgets.Layout(width="auto"))
        self.button = widgets.Button(description="Check", button_style="primary")
        self.feedback = widgets.HTML()
        self.button.on_click(lambda _: self.check())
        title = widgets.HTML(f"<b>{number}. {inline_html(question.prompt)}</b>")
        super().__init__([title, self.choices, self.button, self.feedback])

    def check(self) -> Feedback:
        result = grade(self.question, self.choices.value)
        self.feedback.value = result.html()
        return result


def enumerate_options(question: Question) -> list[tuple[str, int]]:
    """(label, index) pairs for the radio buttons."""
    return [(f"{chr(97 + i)}) {plain(text)}", i) for i, text in enumerate(question.options)]


class Quiz(widgets.VBox):
    """A list of questions shown together; display it as the last expression of a cell."""

    def __init__(self, questions: list[Question], title: str = "Quiz"):
        if not questions:
            raise ValueError("A quiz needs at least one question.")
        self.items = [QuestionWidget(q, i) for i, q in enumerate(questions, start=1)]
        super().__init__([widgets.HTML(f"<h3>{escape(title)}</h3>"), *self.items])

    def answer(self, number: int, choice: int) -> Feedback:
        """Select option ``choice`` of question ``number`` (1-based) and check it."""
        item = self.items[number - 1]
        item.choices.value = choice
        return item.check()
