import pytest

from helpers.quiz import Question, Quiz, enumerate_options, grade, inline_html, plain

Q = Question("2 + 2?", ["3", "4"], 1, ["Off by one.", "Yes: two and two make four."])


def test_grade_right_wrong_and_unanswered():
    assert grade(Q, 1).correct and "four" in grade(Q, 1).explanation
    wrong = grade(Q, 0)
    assert not wrong.correct and wrong.explanation == "Off by one."
    pending = grade(Q, None)
    assert pending.correct is None and "Choose" in pending.explanation
    assert "Not quite" not in pending.html() and "firebrick" not in pending.html()


def test_widget_shows_explanations_after_check():
    quiz = Quiz([Q, Question("Sky?", ["blue", "green"], 0, ["Right.", "No."])])
    item = quiz.items[0]
    item.check()
    assert "Choose an option" in item.feedback.value
    assert not quiz.answer(1, 0).correct
    assert "Not quite" in item.feedback.value and "Off by one." in item.feedback.value
    assert quiz.answer(1, 1).correct and "Correct" in item.feedback.value
    item.button.click()  # the button runs the same check
    assert "Correct" in item.feedback.value
    assert quiz.answer(2, 0).correct


def test_malformed_questions_are_rejected():
    with pytest.raises(ValueError, match="one per option"):
        Question("?", ["a", "b"], 0, ["only one"])
    with pytest.raises(ValueError, match="not an option"):
        Question("?", ["a", "b"], 2, ["x", "y"])
    with pytest.raises(ValueError, match="at least one question"):
        Quiz([])


def test_inline_markdown_renders_in_prompts_and_explanations():
    assert inline_html("the *target task* uses `fit` and **care** <b>") == (
        "the <i>target task</i> uses <code>fit</code> and <b>care</b> &lt;b&gt;")
    assert inline_html("2 * 3 * 4") == "2 * 3 * 4"  # a lone star is not emphasis
    q = Question("Call `fit`?", ["*yes*", "`no`"], 0, ["Right: **yes**.", "No."])
    quiz = Quiz([q])
    assert "<code>fit</code>" in quiz.items[0].children[0].value
    assert [label for label, _ in enumerate_options(q)] == ["a) yes", "b) no"]
    assert "<b>yes</b>" in quiz.answer(1, 0).html()
    assert plain("**a** and *b* with `c`") == "a and b with c"
