import pytest

from helpers.quiz import Question, Quiz, grade

Q = Question("2 + 2?", ["3", "4"], 1, ["Off by one.", "Yes: two and two make four."])


def test_grade_right_wrong_and_unanswered():
    assert grade(Q, 1).correct and "four" in grade(Q, 1).explanation
    wrong = grade(Q, 0)
    assert not wrong.correct and wrong.explanation == "Off by one."
    assert not grade(Q, None).correct and "Choose" in grade(Q, None).explanation


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
