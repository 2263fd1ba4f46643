"""minigan lab in a real browser: headless Chromium drives the page as a student would.

It clicks Step D, Step G, Step and Play, changes the loss, types an absurd learning rate, draws a
distribution (first one point -- both refused with a message -- then a stroke), and checks what the page shows after
each: the counters, the canvas, the code panel, the messages -- and that the browser logged no
JavaScript error. At the end it trains a ring GAN for 200 steps and saves a screenshot to
``$MINIGAN_LAB_SCREENSHOT`` (default: the test's tmp folder); ``docs/lab.png`` is made this way.

Needs Debian's ``chromium`` and ``chromium-driver`` and PyPI's ``selenium`` (``.ci/run`` installs
them); without them it is skipped, saying which is missing.
"""
import io
import json
import os
import shutil

import pytest
from PIL import Image

from minigan.lab.api import LabAPI
from minigan.lab.server import LabServer
from minigan.lab.session import LabSession

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:
    webdriver = None

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = ("selenium is not installed (pip install -e '.[test]')" if webdriver is None else
           "Chromium is not installed (apt-get install chromium chromium-driver)" if CHROMIUM is None else
           "chromedriver is not installed (apt-get install chromium-driver)" if CHROMEDRIVER is None else None)
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"no browser to drive: {MISSING}")


@pytest.fixture
def lab(tmp_path):
    server = LabServer(LabAPI(LabSession({"batch_size": 64}), out=str(tmp_path / "exports")), port=0).start()
    yield server
    server.stop()


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,980"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _text(driver, element_id):
    return driver.find_element("id", element_id).text


def _wait(driver, condition, what):
    WebDriverWait(driver, 30, poll_frequency=0.05).until(lambda d: condition(), message=f"waited for {what}")


def _pixels(driver, canvas_id):
    return driver.execute_script(f"return document.getElementById('{canvas_id}').toDataURL();")


def _counters(driver):
    return _text(driver, "steps"), _text(driver, "d-updates"), _text(driver, "g-updates")


def test_a_student_steps_plays_changes_the_loss_and_draws(lab, browser, tmp_path):
    driver, click = browser, lambda element_id: browser.find_element("id", element_id).click()
    driver.get(lab.url)
    plane = driver.find_element("id", "plane")
    _wait(driver, lambda: plane.get_attribute("data-version"), "the first picture")
    blank = _pixels(driver, "plane")

    click("step-d")
    _wait(driver, lambda: _counters(driver) == ("0", "1", "0"), "one D update")
    assert "GANTrainer.d_step" in driver.find_element("id", "code").get_attribute("textContent")
    assert "GANTrainer.g_step" not in driver.find_element("id", "code").get_attribute("textContent")
    click("step-g")
    _wait(driver, lambda: _counters(driver) == ("0", "1", "1"), "one G update")
    click("step-full")
    _wait(driver, lambda: _counters(driver) == ("1", "2", "2"), "one full step")
    assert lab.api.session.updates == {"d": 2, "g": 2}  # the page shows the server's own counts

    before = _pixels(driver, "plane")
    click("play")
    _wait(driver, lambda: int(_text(driver, "steps")) >= 30, "30 steps of play")
    click("play")  # pause
    _wait(driver, lambda: int(_text(driver, "steps")) == lab.api.session.trainer.iteration, "the last play request")
    assert _text(driver, "play") == "Play" and _pixels(driver, "plane") not in (before, blank)
    paused_at = _text(driver, "steps")

    Select(driver.find_element("css selector", "select[data-setting=loss]")).select_by_value("wgan-gp")
    _wait(driver, lambda: "loss changed" in _text(driver, "message"), "the loss change")
    assert lab.api.session.trainer.loss.name == "wgan-gp" and _text(driver, "steps") == paused_at
    assert "WGAN-GP interpolation points" in _text(driver, "legend")
    learning_rate = driver.find_element("css selector", "input[data-setting=lr_g]")
    learning_rate.send_keys(Keys.CONTROL, "a")
    learning_rate.send_keys("1e9", Keys.TAB)  # leaving the field sends it
    _wait(driver, lambda: "must be between 1e-06 and 1, not 1e+09" in _text(driver, "message"), "the refused lr")
    _wait(driver, lambda: learning_rate.get_attribute("value") == "0.001", "the setting in force, shown again")

    Select(driver.find_element("id", "dataset")).select_by_value("drawn")
    assert driver.find_element("id", "draw-tools").is_displayed()
    ActionChains(driver).move_to_element_with_offset(plane, -150, -150).click().perform()
    assert _text(driver, "draw-count") == "1 points"
    click("draw-use")
    _wait(driver, lambda: "needs at least 3 points" in _text(driver, "message"), "the refusal of one point")
    assert driver.find_element("id", "message").get_attribute("class") == "error"
    stroke = ActionChains(driver).move_to_element_with_offset(plane, 0, -200).click_and_hold()
    for _ in range(12):
        stroke.move_by_offset(12, 25)
    stroke.release().perform()
    drawn = int(_text(driver, "draw-count").split()[0])
    assert drawn >= 8
    click("draw-use")
    _wait(driver, lambda: _text(driver, "coverage") == f"modes covered: 0 / {drawn}", "the drawn distribution")
    settings = lab.api.session.settings
    assert settings["dataset"] == "drawn" and len(settings["points"]) == drawn and _counters(driver)[0] == "0"
    assert not driver.find_element("id", "draw-tools").is_displayed()

    # Back to a ring GAN with the non-saturating loss, trained 200 steps (from Python: the page follows).
    Select(driver.find_element("id", "dataset")).select_by_value("ring")
    _wait(driver, lambda: lab.api.session.settings["dataset"] == "ring", "the ring")
    Select(driver.find_element("css selector", "select[data-setting=loss]")).select_by_value("ns")
    _wait(driver, lambda: lab.api.session.settings["loss"] == "ns", "the ns loss")
    assert lab.api.handle("POST", "/api/step", json.dumps({"kind": "full", "count": 200}).encode())[0] == 200
    _wait(driver, lambda: _text(driver, "steps") == "200", "the page to follow the run")
    assert "--loss ns" in _text(driver, "command") and "--steps 200" in _text(driver, "command")

    problems = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    javascript = [entry for entry in problems if entry.get("source") != "network"]
    assert javascript == [], javascript
    assert len(problems) == 2 and all("400" in p["message"] for p in problems)  # the refused lr and drawing

    path = os.environ.get("MINIGAN_LAB_SCREENSHOT") or str(tmp_path / "lab.png")
    Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB").quantize(256).save(path, optimize=True)
    print(f"screenshot: {path}")
