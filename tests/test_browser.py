"""On-demand check that the course's widgets work in a real JupyterLab.

Run with ``pytest -m browser``. Needs Debian's chromium and chromium-driver packages
(``apt-get install chromium chromium-driver``). Starts JupyterLab on a free local port with a
one-cell notebook, runs the cell in headless Chromium and uses the widget like a learner:
a real lesson's quiz (answers, explanations, Markdown rendering) and lesson 06's fine-tuning
explorer (moving a slider redraws the plot and the summary).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.browser

from helpers import course


def lesson_quiz_cell(lesson: str = "06") -> str:
    """The quiz cell of a real lesson, with the import it needs."""
    path = next(course.NOTEBOOKS.glob(f"{lesson}_*.ipynb"))
    cells = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]
    quiz = next(c for c in cells if c.startswith("Quiz(["))
    return "from helpers.quiz import Question, Quiz\n" + quiz


EXPLORER_CELL = """import keras, numpy as np
from helpers import explorer, finetune
inputs = keras.Input((8, 8, 3))
x = keras.layers.Conv2D(4, 3, name="c1")(inputs)
x = keras.layers.BatchNormalization(name="bn1")(x)
base = keras.Model(inputs, keras.layers.Conv2D(6, 1, name="c2")(x))
def run(values):
    return finetune.Run({}, {"val_accuracy": values, "accuracy": values}, 0.01, 1.0)
explorer.FineTuneExplorer(base, [1, 3], [1e-4, 1e-2],
                          {(1, 1e-4): [run([0.5, 0.6, 0.7])], (3, 1e-4): [run([0.5, 0.8, 0.9])]})"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    if not shutil.which("chromedriver"):
        pytest.fail("chromedriver not found: apt-get install chromium chromium-driver")
    for name, source in (("quiz", lesson_quiz_cell()), ("explorer", EXPLORER_CELL)):
        notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": source,
                               "outputs": [], "execution_count": None}],
                    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                "language": "python"}},
                    "nbformat": 4, "nbformat_minor": 5}
        (tmp_path / f"{name}.ipynb").write_text(json.dumps(notebook))
    port, token = free_port(), "coursetest"
    # the tests' MPLBACKEND=Agg stays set: the explorer must draw under any backend
    env = dict(os.environ, MPLBACKEND="Agg")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         "--ServerApp.open_browser=False", "--allow-root",
         f"--LabServerApp.workspaces_dir={tmp_path / 'workspaces'}"],  # no tabs restored
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    yield lambda name: f"{base}/lab/tree/{name}.ipynb?token={token}"
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


def run_cell(browser, url: str):
    """Open a one-cell notebook and run its cell; return a waiter for what it shows."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    # widgets redraw their elements: a stale one is looked up again on the next poll; the long
    # timeout is for busy machines (starting a kernel and importing TensorFlow took minutes at load 16)
    wait = WebDriverWait(browser, 600, ignored_exceptions=[StaleElementReferenceException])
    browser.get(url)
    # JupyterLab keeps more than one editor in the page; the visible one is the cell's
    editor = wait.until(lambda d: next((e for e in d.find_elements(
        By.CSS_SELECTOR, ".jp-Cell .cm-content") if e.is_displayed()), False))
    editor.click()  # Shift+Enter queues the cell; it runs as soon as the kernel is up
    editor.send_keys(Keys.SHIFT, Keys.ENTER)
    return wait


def test_lesson_quiz_renders_and_answers_in_jupyterlab(lab, browser, tmp_path):
    from selenium.webdriver.common.by import By

    wait = run_cell(browser, lab("quiz"))
    boxes = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".widget-radio-box"))
    assert len(boxes) >= 4, "lesson 06 has at least four questions"
    prompts = browser.find_elements(By.CSS_SELECTOR, ".widget-html-content b")
    assert not any("`" in p.text for p in prompts), "Markdown code marks must render"
    radios = boxes[0].find_elements(By.CSS_SELECTOR, "input")
    check = browser.find_elements(By.XPATH, "//button[normalize-space()='Check']")[0]
    check.click()  # nothing chosen: a hint, not a wrong answer
    hint = wait.until(lambda d: d.find_element(By.XPATH, "//*[contains(text(), 'Choose an')]"))
    assert "Not quite" not in hint.find_element(By.XPATH, "..").text
    for radio in radios:  # try every option until one is right, as a learner would
        radio.click()
        check.click()
        time.sleep(0.5)
        if browser.find_elements(By.XPATH, "//*[contains(text(), 'Correct')]"):
            break
    else:
        pytest.fail("no option of the first question was graded correct")
    browser.save_screenshot(str(tmp_path / "quiz_in_jupyterlab.png"))


def test_explorer_slider_redraws_in_jupyterlab(lab, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    wait = run_cell(browser, lab("explorer"))
    status = wait.until(lambda d: d.find_element(By.XPATH, "//*[contains(text(), 'run(s)')]"))
    before = status.text
    assert "0.700" in before  # the run for 1 layer at 1e-4
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output img"))
    handle = browser.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle")[0]
    handle.click()
    handle.send_keys(Keys.ARROW_RIGHT)  # unfreeze top 3
    wait.until(lambda d: "0.900" in d.find_element(
        By.XPATH, "//*[contains(text(), 'run(s)')]").text)
    browser.save_screenshot(str(tmp_path / "explorer_in_jupyterlab.png"))
