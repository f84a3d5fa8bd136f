"""A learner reads a whole course, lesson by lesson, until the progress bar shows 100%."""

import re

from playwright.sync_api import expect

from ..factories import make_user, sync_content

PASSWORD = "a learner's passphrase"


def test_read_a_course_to_completion(live_server, page):
    sync_content()  # the shipped courses
    make_user(name="Lee Learner", email="lee@ecpt.example", password=PASSWORD)

    page.goto(f"{live_server.url}/courses")
    page.get_by_label("Email address").fill("lee@ecpt.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses")

    page.get_by_role("link", name="Prevent refresher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prevent refresher")
    bar = page.locator("progress")
    expect(bar).to_have_attribute("value", "0")
    expect(page.get_by_text("0 of 4 lessons read (0%)")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Start")).click()

    for number in range(1, 5):
        expect(page.get_by_text(f"Lesson {number} of 4")).to_be_visible()
        expect(page.locator("progress")).to_have_attribute("value", str(number - 1))
        page.get_by_role("button", name="Mark as read and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Prevent refresher")
    expect(page.get_by_role("status")).to_contain_text("You have completed “Prevent refresher”")
    expect(bar).to_have_attribute("value", "4")
    expect(bar).to_have_attribute("max", "4")
    expect(page.get_by_text("4 of 4 lessons read (100%)")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Review"))).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
    card = page.locator(".course-card", has_text="Prevent refresher")
    expect(card.get_by_text("Completed")).to_be_visible()
    expect(card.get_by_text("4 of 4 lessons read (100%)")).to_be_visible()


EVIL_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" onload="document.title='onload ran'">
<script>document.title = 'script ran'; alert('script ran');</script>
<rect width="10" height="10"/></svg>"""


def test_an_svg_opened_on_its_own_runs_no_script(live_server, page, tmp_path):
    from ..content import ContentDir

    content = ContentDir(tmp_path / "content")
    content.course("pics", lessons={"01-a.md": "# A\n\n![Square](images/evil.svg)\n"},
                   images={"evil.svg": EVIL_SVG})
    live_server.app.config["PROJECT_ROOT"] = content.root
    sync_content()
    make_user(email="lee@ecpt.example", password=PASSWORD)
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email address").fill("lee@ecpt.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/courses/pics/lessons/a")
    src = page.get_by_role("img", name="Square").get_attribute("src")
    response = page.goto(live_server.url + src)
    assert response.headers["content-type"].startswith("image/svg+xml")
    page.wait_for_timeout(300)
    assert dialogs == [] and "ran" not in page.title()
