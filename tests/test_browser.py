"""On-demand check that the quiz widget renders and answers in a real JupyterLab.

Run with ``pytest -m browser``. Needs Debian's chromium and chromium-driver packages
(``apt-get install chromium chromium-driver``). Starts JupyterLab on a free local port with a
one-cell notebook, runs the cell in headless Chromium, clicks a wrong and a right answer and
reads the explanations the widget shows.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.browser

QUIZ_CELL = """from helpers.quiz import Question, Quiz
Quiz([Question("Which layers are most generic?", ["The first ones", "The last ones"], 0,
               ["Right: edges and textures.", "No: the last layers are task-specific."])])"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    if not shutil.which("chromedriver"):
        pytest.fail("chromedriver not found: apt-get install chromium chromium-driver")
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": QUIZ_CELL,
                           "outputs": [], "execution_count": None}],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                            "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "quiz.ipynb").write_text(json.dumps(notebook))
    port, token = free_port(), "coursetest"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         "--ServerApp.open_browser=False", "--allow-root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    yield f"{base}/lab/tree/quiz.ipynb?token={token}"
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


def test_quiz_renders_and_answers_in_jupyterlab(lab, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 120)
    browser.get(lab)
    editor = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".jp-Cell .cm-content")))
    editor.click()  # Shift+Enter queues the cell; it runs as soon as the kernel is up
    editor.send_keys(Keys.SHIFT, Keys.ENTER)
    radios = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".widget-radio-box input"))
    assert len(radios) == 2
    check = browser.find_element(By.XPATH, "//button[normalize-space()='Check']")

    radios[1].click()
    check.click()
    feedback = wait.until(lambda d: d.find_element(By.XPATH, "//*[contains(text(), 'Not quite')]"))
    assert "task-specific" in feedback.find_element(By.XPATH, "..").text

    radios[0].click()
    check.click()
    feedback = wait.until(lambda d: d.find_element(By.XPATH, "//*[contains(text(), 'Correct')]"))
    assert "edges and textures" in feedback.find_element(By.XPATH, "..").text
    browser.save_screenshot(str(tmp_path / "quiz_in_jupyterlab.png"))
