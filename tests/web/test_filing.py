"""Feedback filed through the web API is a case like any other: a complaint in Chinese
from the site, a suggestion in English from a kiosk; a retried request acts once; a
returning customer resumes the conversation and `/status` answers as on the bots."""

from __future__ import annotations

from typing import Any

from core.cases.classification import Channel, IntakeChannel
from core.cases.values import CaseStatus, CaseType
from core.identity import Platform
from tests.web.conftest import WebClient
from tests.web.steps import COMPLAINT_ZH, SUBMIT, case_number, walk


async def _case(client: WebClient, number: str) -> Any:
    async with client.wiring.unit_of_work() as uow:
        return await uow.cases.get(number)


async def test_a_complaint_in_chinese_from_the_site(client: WebClient) -> None:
    session = await client.start(origin="web", language="zh")
    token = session["token"]
    assert "欢迎" in session["replies"][0]["text"]
    summary = await walk(client, token, session["replies"], COMPLAINT_ZH)
    confirmation = await walk(client, token, summary, [SUBMIT])
    number = case_number(confirmation)
    filed = next(r for r in confirmation if r.get("case_number") == number)
    assert filed["resume"].startswith("http://127.0.0.1:8080/?resume=r.")

    case = await _case(client, number)
    assert case.type is CaseType.COMPLAINT and case.status is CaseStatus.NEW
    assert case.customer.platform is Platform.WEB
    assert case.intake_channel is IntakeChannel.WEB
    # A branch was chosen: the business happened at its counter (JR/T axis A), whatever
    # channel the complaint came in by.
    assert case.classification.channel is Channel.COUNTER
    assert case.contact.name == "王五" and case.contact.phone == "13812348000"
    assert "吞卡" in case.description

    # Everything the conversation was sent, in order, ids increasing.
    history = await client.messages(token)
    ids = [m["id"] for m in history]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert history[0] == session["replies"][0] and history[-len(confirmation) :] == confirmation
    assert await client.messages(token, after=ids[-2]) == history[-1:]


async def test_a_suggestion_in_english_from_a_kiosk(client: WebClient) -> None:
    session = await client.start(origin="kiosk", language="en")
    token = session["token"]
    steps = ["t:suggestion", "b:other", "r:online", "w:self_service"]
    steps += [">Please add more seats in the waiting area."]
    steps += ["d:next", "c:yes", ">Li Lei", ">13912345678", SUBMIT]
    confirmation = await walk(client, token, session["replies"], steps)
    number = case_number(confirmation)
    assert "received" in confirmation[0]["text"].lower() or number in confirmation[0]["text"]
    case = await _case(client, number)
    assert case.type is CaseType.SUGGESTION
    assert case.intake_channel is IntakeChannel.KIOSK
    assert case.classification.channel is Channel.SELF_SERVICE
    # Staff see it among the day's cases like any other.
    async with client.wiring.unit_of_work() as uow:
        mine = await uow.cases.for_customer(case.customer)
    assert [c.number for c in mine] == [number]


async def test_a_retried_request_acts_once_and_answers_the_same(client: WebClient) -> None:
    session = await client.start(language="zh")
    token = session["token"]
    await walk(client, token, session["replies"], COMPLAINT_ZH)
    first = await client.send(token, option=SUBMIT, client_message_id="submit-1")
    again = await client.send(token, option=SUBMIT, client_message_id="submit-1")
    assert again == first
    number = case_number(first)
    async with client.wiring.unit_of_work() as uow:
        cases = await uow.cases.for_customer((await _case(client, number)).customer)
    assert len(cases) == 1
    history = await client.messages(token)
    assert [m["id"] for m in history].count(first[0]["id"]) == 1
    assert history[-len(first) :] == first


async def test_the_resume_link_continues_the_conversation(client: WebClient) -> None:
    session = await client.start(language="zh")
    summary = await walk(client, session["token"], session["replies"], COMPLAINT_ZH)
    confirmation = await walk(client, session["token"], summary, [SUBMIT])
    number = case_number(confirmation)
    resume = next(r["resume"] for r in confirmation if "resume" in r).split("resume=", 1)[1]

    back = await client.start(resume=resume)
    assert back["replies"] == await client.messages(session["token"])
    status = await client.send(back["token"], text=f"/status {number}")
    assert number in status[0]["text"] and "已受理" in status[0]["text"]
    # A resume token opens sessions, it is no session token itself.
    code, answer, _ = await client.request("GET", "/api/v1/messages", resume)
    assert code == 401 and "not a session token" in answer["error"]["message"]


async def test_forget_erases_the_web_conversation_too(client: WebClient) -> None:
    session = await client.start(language="zh")
    token = session["token"]
    summary = await walk(client, token, session["replies"], COMPLAINT_ZH)
    await walk(client, token, summary, [SUBMIT])
    status, _, _ = await client.request(
        "PUT", "/api/v1/email", token, json={"email": "wang.wu@example.com"}
    )
    assert status == 200
    asked = await client.send(token, text="/forget")
    done = await walk(client, token, asked, ["f:yes"])
    # The history holds only what came after the erasure; no address is kept.
    assert await client.messages(token) == done
    assert not any("王五" in m["text"] or "13812348000" in m["text"] for m in done)
    found = await client.wiring.web.channel.store.conversation(token.split(".")[1])
    assert found is not None and found.email is None
