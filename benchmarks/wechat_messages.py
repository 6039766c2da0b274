"""What the WeChat benchmarks send: the Official Account's settings they give the
service, the complaint a customer walks through, and a message signed (and, in safe
mode, encrypted) as WeChat's servers send it."""

from __future__ import annotations

import secrets
import time

from wechatpy.crypto import WeChatCrypto

from bots.wechat.codec import sign

TOKEN = "BenchToken"
APP_ID = "wxbench0000000001"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

# The complaint, message by message, with a piece of the question each must be answered by.
WALK: tuple[tuple[str, str], ...] = (
    ("你好", "请问您想做什么"),
    ("1", "涉及哪类业务"),
    ("6", "涉及哪个网点"),
    ("1", "哪个渠道"),
    ("5", "请描述具体情况"),
    ("ATM 吞卡后网点无人处理，等待了一个多小时。", "已收到"),
    ("1", "处理结果"),
    ("退卡", "个人信息说明"),
    ("1", "请输入您的姓名"),
    ("张三", "手机号"),
    ("13812348000", "请核对"),
    ("1", "受理编号"),
)


def signed_request(openid: str, text: str, msg_id: int, encrypted: bool) -> tuple[dict, bytes]:
    now = str(int(time.time()))
    nonce = secrets.token_hex(6)
    xml = (
        f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>{openid}</FromUserName>"
        f"<CreateTime>{now}</CreateTime><MsgType>text</MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    query = {
        "timestamp": now,
        "nonce": nonce,
        "openid": openid,
        "signature": sign(TOKEN, now, nonce),
    }
    if not encrypted:
        return query, xml.encode()
    sealed = WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, nonce, now)
    encrypt = sealed.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    query |= {"encrypt_type": "aes", "msg_signature": sign(TOKEN, now, nonce, encrypt)}
    body = f"<xml><ToUserName>gh_bench</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    return query, body.encode()
