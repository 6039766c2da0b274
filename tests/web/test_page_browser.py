"""The chat page in a real browser: Debian's Chromium driven by Playwright, on the
service served in-process. A complaint in Chinese on a phone-sized screen (with a photo,
and the resume link bringing the customer back), a suggestion in English after the
language switch, a kiosk that clears itself, the result and survey arriving on the event
stream after staff resolve the case from Telegram, the keyboard alone, and the page
embedded in another site. Screenshots go to each test's tmp_path."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from PIL import Image
from playwright.async_api import Browser, Page, Response, ViewportSize, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.case import Case
from core.cases.classification import IntakeChannel
from core.cases.values import CaseType
from intake.wiring import Wiring, build
from storage.web import SqlWebStore
from tests.bots.conftest import free_port
from tests.bots.test_desk_telegram import AGENT, set_up_desk
from tests.chromium import ARGS
from tests.chromium import chromium as find_chromium
from tests.conftest import database_url, fresh_engine
from tests.web.conftest import Clock, serving, web_settings
from tests.web.steps import COMPLAINT_ZH, SUBMIT
from tests.web.test_news import RESULT, desk_with_web, resolve

# The browser, the service and the test share one event loop per module: Playwright's
# connection is bound to the loop it was opened in.
pytestmark = pytest.mark.asyncio(loop_scope="module")

NUMBER = re.compile(r"(CP|SG|PR)-\d{8}-\d{4}")
PHONE: ViewportSize = {"width": 375, "height": 667}
DESKTOP: ViewportSize = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def chromium() -> Path:
    return find_chromium()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=list(ARGS))
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The shared fixture's fresh database, on this module's loop."""
    engine = await fresh_engine(database_url(tmp_path))
    yield engine
    await engine.dispose()


# The other site that embeds the page: the service lets it frame the page.
SITE_PORT = free_port()
SITE = f"http://127.0.0.1:{SITE_PORT}"


@pytest_asyncio.fixture(loop_scope="module")
async def service(
    engine: AsyncEngine, tmp_path: Path, clock: Clock
) -> AsyncIterator[tuple[str, Wiring]]:
    wiring = build(web_settings(database_url(tmp_path), intake_web_origins=SITE), clock=clock)
    await wiring.start()
    try:
        async with serving(wiring) as base:
            yield base, wiring
    finally:
        await wiring.stop()
        await wiring.close()


async def open_page(
    browser: Browser, url: str, locale: str = "zh-CN", viewport: ViewportSize = DESKTOP
) -> Page:
    context = await browser.new_context(locale=locale, viewport=viewport)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(url)
    await expect(page.locator("#log .msg.bank").first).to_be_visible()
    assert not errors, errors  # a CSP violation, a script error
    return page


async def walk(page: Page, steps: list[str]) -> None:
    """As `tests.web.steps.walk`, on the page: an option's button, or `>text` typed and
    sent with Enter; each step waits for the bank's next message."""
    for step in steps:
        answered = page.locator("#log .msg.bank").nth(await page.locator("#log .msg.bank").count())
        if step.startswith(">"):
            await page.locator("#text").fill(step[1:])
            await page.locator("#text").press("Enter")
        else:
            await page.locator(f'#log button.option[data-key="{step}"]').last.click()
        await expect(answered).to_be_attached()


async def shown_number(page: Page) -> str:
    confirmation = page.locator("#log .msg.bank", has_text=NUMBER)
    await expect(confirmation.last).to_be_visible()
    match = NUMBER.search(await confirmation.last.inner_text())
    assert match is not None
    return match.group(0)


async def stored_case(wiring: Wiring, number: str) -> Case:
    async with wiring.unit_of_work() as uow:
        case = await uow.cases.get(number)
    assert case is not None, number
    return case


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def test_a_complaint_in_chinese_on_a_phone(
    browser: Browser, service: tuple[str, Wiring], tmp_path: Path
) -> None:
    base, wiring = service
    page = await open_page(browser, base + "/", viewport=PHONE)
    assert await page.get_attribute("html", "lang") == "zh-Hans"
    await expect(page.locator("#log .msg.bank").first).to_contain_text("欢迎")
    await page.screenshot(path=tmp_path / "phone-greeting.png")

    description = COMPLAINT_ZH.index(">ATM 吞卡，卡一直没有退回来。") + 1
    await walk(page, COMPLAINT_ZH[:description])
    before = await page.locator("#log .msg.bank").count()
    await page.locator("#file").set_input_files(
        {"name": "receipt.png", "mimeType": "image/png", "buffer": png()}
    )
    await expect(page.locator("#log .msg.bank").nth(before)).to_be_attached()
    await walk(page, [*COMPLAINT_ZH[description:], SUBMIT])
    number = await shown_number(page)
    # Nothing is wider than the phone, and the controls stay on it.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    await expect(page.locator("#send")).to_be_in_viewport()
    await page.screenshot(path=tmp_path / "phone-filed.png")

    case = await stored_case(wiring, number)
    assert case.type is CaseType.COMPLAINT and case.intake_channel is IntakeChannel.WEB
    assert "吞卡" in case.description and case.contact.name == "王五"
    assert [a.kind for a in case.attachments] == ["photo"]
    assert case.attachments[0].ref.startswith("web:")

    # The confirmation offers to e-mail news; the address is kept for the conversation.
    field = page.get_by_label("有新进展时发邮件告诉我（可选）").last
    await field.fill("wangwu@example.test")
    await page.locator("#log form.email button").last.click()
    await expect(page.locator("#status")).to_contain_text("wangwu@example.test")
    kept = await SqlWebStore(wiring.engine).conversation(case.customer.user_id)
    assert kept is not None and kept.email == "wangwu@example.test"

    # The resume link (the page's address here) brings the conversation back in a
    # browser that has nothing stored, and leaves the address bar at once.
    link = await page.locator("#log a.resume").last.get_attribute("href")
    assert link is not None and "?resume=r." in link
    back = await open_page(browser, base + "/?" + link.split("?", 1)[1], viewport=PHONE)
    await expect(back.locator("#log .msg.bank", has_text=number).first).to_be_visible()
    assert back.url == base + "/"
    await walk(back, [f">/status {number}"])
    # A link that is not valid (any more) says so and starts a new conversation.
    stale = await (await browser.new_context(locale="zh-CN")).new_page()
    await stale.goto(base + "/?resume=r.not-a-token")
    await expect(stale.locator("#status")).to_contain_text("此链接已失效")
    await expect(stale.locator("#log .msg.bank")).to_have_count(1)
    await stale.context.close()
    await expect(back.locator("#log .msg.bank").last).to_contain_text("已受理")
    await back.context.close()
    await page.context.close()


async def test_a_suggestion_in_english_after_switching_language(
    browser: Browser, service: tuple[str, Wiring], tmp_path: Path
) -> None:
    base, wiring = service
    page = await open_page(browser, base + "/")
    await page.get_by_role("button", name="English").click()
    await expect(page.locator("#send")).to_have_text("Send")
    assert await page.get_attribute("html", "lang") == "en"
    await expect(page.locator('#log button.option[data-key="t:suggestion"]').last).to_be_visible()
    await walk(page, ["t:suggestion", "b:other", "r:online", "w:mobile_app"])
    await walk(page, [">Please add more seats in the waiting area.", "d:next", "c:yes"])
    await walk(page, [">Li Lei", ">13912345678", SUBMIT])
    number = await shown_number(page)
    await expect(page.locator("#log .msg.bank", has_text=number).last).to_contain_text(
        re.compile("received|suggestion", re.I)
    )
    await page.screenshot(path=tmp_path / "english.png")
    case = await stored_case(wiring, number)
    assert case.type is CaseType.SUGGESTION and case.intake_channel is IntakeChannel.WEB
    # A reload keeps the conversation: the token is in this tab's sessionStorage.
    await page.reload()
    await expect(page.locator("#log .msg.bank", has_text=number).first).to_be_visible()
    await expect(page.locator("#send")).to_have_text("Send")
    await page.context.close()


def opened_session(response: Response) -> bool:
    request = response.request
    return request.method == "POST" and request.url.endswith("/api/v1/sessions")


async def test_a_kiosk_clears_itself_after_inactivity(
    browser: Browser, service: tuple[str, Wiring], tmp_path: Path
) -> None:
    base, wiring = service
    context = await browser.new_context(locale="zh-CN", viewport=DESKTOP)
    page = await context.new_page()
    async with page.expect_response(opened_session) as opened:
        await page.goto(base + "/?kiosk=1&idle=2")
    first = await (await opened.value).json()
    await expect(page.locator("#log .msg.bank")).to_have_count(1)
    assert await page.locator("#file").count() == 0  # no uploads at a kiosk
    font = await page.evaluate("getComputedStyle(document.body).fontSize")
    assert float(font.removesuffix("px")) >= 24
    await walk(page, ["t:complaint", "b:debit_card"])
    await expect(page.locator("#log .msg.me")).to_have_count(2)
    await page.screenshot(path=tmp_path / "kiosk-in-use.png")
    conversation = first["token"].split(".")[1]
    stored = await wiring.web.channel.store.conversation(conversation)
    assert stored is not None and stored.origin == "kiosk" and stored.ended_at is None

    # Nobody touches it: it ends the conversation and starts over for the next person.
    async with page.expect_response(opened_session) as reopened:
        await expect(page.locator("#log .msg.me")).to_have_count(0, timeout=10_000)
    second = await (await reopened.value).json()
    assert second["token"] != first["token"]
    await expect(page.locator("#log .msg.bank")).to_have_count(1)
    await expect(page.locator("#log .msg.bank")).to_contain_text("欢迎")
    assert await page.locator("#log .msg.bank .text").inner_text() == second["replies"][0]["text"]
    assert "吞卡" not in await page.content() and "银行卡" not in await page.content()
    assert await page.evaluate("sessionStorage.length") == 0
    assert await page.locator("#text").input_value() == ""
    ended = await wiring.web.channel.store.conversation(conversation)
    assert ended is not None and ended.ended_at is not None
    await page.screenshot(path=tmp_path / "kiosk-cleared.png")
    await context.close()


async def test_the_result_and_survey_arrive_after_staff_resolve_on_telegram(
    browser: Browser, engine: AsyncEngine, tmp_path: Path, clock: Clock
) -> None:
    async with desk_with_web(tmp_path, clock) as (desk, client):
        codes = await set_up_desk(desk)
        await desk.say(AGENT, f"/register {codes['李坐席']}")
        page = await open_page(browser, client.base + "/")
        await walk(page, [*COMPLAINT_ZH, SUBMIT])
        number = await shown_number(page)
        await desk.api.wait_for_message(AGENT)  # the new-case alert

        # The same conversation open in a second browser where the event stream is
        # refused: that page polls instead.
        link = await page.locator("#log a.resume").last.get_attribute("href")
        assert link is not None
        context = await browser.new_context(locale="zh-CN")
        await context.route(
            re.compile(r"/api/v1/events"), lambda route: route.fulfill(status=503, body="")
        )
        polling = await context.new_page()
        await polling.goto(client.base + "/?" + link.split("?", 1)[1])
        await expect(polling.locator("#log .msg.bank", has_text=number).first).to_be_visible()

        await resolve(desk, number)
        for shown in (page, polling):
            result = shown.locator("#log .msg.bank", has_text=RESULT)
            await expect(result).to_be_visible(timeout=20_000)
            survey = shown.locator(f'#log button.option[data-key="v:{number}:5"]')
            await expect(survey).to_be_visible()
        await page.screenshot(path=tmp_path / "result-and-survey.png")
        await page.context.close()
        # The customer answers the survey where they are.
        await walk(polling, [f"v:{number}:5"])
        await expect(polling.locator("#log .msg.bank").last).to_contain_text(number)
        await polling.screenshot(path=tmp_path / "survey-answered.png")
        await context.close()


async def test_keyboard_only_and_the_live_region(
    browser: Browser, service: tuple[str, Wiring], tmp_path: Path
) -> None:
    base, _ = service
    page = await open_page(browser, base + "/")
    log = page.locator("#log")
    assert await log.get_attribute("aria-live") == "polite"
    assert await log.get_attribute("role") == "log"
    # Every control is named.
    await expect(page.get_by_role("textbox", name="您的消息")).to_be_visible()
    await expect(page.get_by_role("button", name="发送")).to_be_visible()
    await expect(page.get_by_label("上传图片或 PDF")).to_be_attached()
    await expect(page.get_by_role("group", name="可选回复").first).to_be_visible()

    async def focused() -> str:
        return str(
            await page.evaluate(
                "(() => { const e = document.activeElement;"
                " return e.dataset.key || e.dataset.lang || e.id || e.className; })()"
            )
        )

    options = [o["key"] for o in await _greeting_options(page)]
    order = []
    for _ in range(len(options) + 6):
        await page.keyboard.press("Tab")
        order.append(await focused())
    assert order[:3] == ["skip", "zh", "en"], order
    assert order[3 : 3 + len(options)] == options, order
    assert order[3 + len(options) :] == ["text", "file", "send"], order

    # An option chosen with Enter: the next choices get the focus, visibly, and the
    # bank's answer lands in the live region.
    await page.keyboard.press("Shift+Tab")
    while (await focused()) != options[0]:
        await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Enter")
    await expect(page.locator("#log .msg.bank")).to_have_count(2)
    assert (await focused()).startswith("b:")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    await page.screenshot(path=tmp_path / "keyboard-focus.png")
    await page.keyboard.press("Enter")
    await expect(page.locator("#log .msg.bank")).to_have_count(3)
    await page.context.close()


async def _greeting_options(page: Page) -> list[dict[str, Any]]:
    buttons = page.locator("#log .msg.bank").first.locator("button.option")
    return [{"key": await b.get_attribute("data-key")} for b in await buttons.all()]


async def test_embedded_in_another_site_with_one_script_tag(
    browser: Browser, service: tuple[str, Wiring], tmp_path: Path
) -> None:
    base, _ = service
    html = f'<!doctype html><title>Bank</title><h1>Bank</h1><script src="{base}/web/embed.js">'
    html += "</script>"

    async def home(_request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    site = web.Application()
    site.router.add_get("/", home)
    runner = web.AppRunner(site)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", SITE_PORT).start()
    context = await browser.new_context(locale="en-US", viewport=DESKTOP)
    try:
        page = await context.new_page()
        await page.goto(SITE + "/")
        opener = page.get_by_role("button", name=re.compile("Feedback"))
        await opener.click()
        await expect(opener).to_have_attribute("aria-expanded", "true")
        chat = page.frame_locator("iframe#intake-chat-frame")
        await expect(chat.locator("#log .msg.bank").first).to_contain_text(re.compile("[Ww]elcome"))
        await expect(chat.locator("#send")).to_have_text("Send")
        await page.screenshot(path=tmp_path / "embedded.png")
        await opener.click()
        await expect(page.locator("iframe#intake-chat-frame")).to_be_hidden()
    finally:
        await context.close()
        await runner.cleanup()
