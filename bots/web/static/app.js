// The chat page: talks to the web API of this service (/api/v1/), renders its replies
// and their options as buttons, receives what the bank sends later on the event stream
// (or by polling where there is none). ?kiosk=1 runs it on a shared terminal,
// ?embed=1 inside another site's frame. Plain script, no build step, nothing inline:
// the Content-Security-Policy allows scripts and styles from this service only.
"use strict";

(() => {
  const TEXTS = {
    zh: {
      title: "意见反馈",
      skip: "跳到输入框",
      language: "语言",
      conversation: "对话",
      message: "您的消息",
      placeholder: "请输入…",
      attach: "上传图片或 PDF",
      send: "发送",
      bank: "银行：",
      you: "我：",
      file: "文件：",
      resume: "保存此链接，以后回来查看处理结果和评价",
      email: "有新进展时发邮件告诉我（可选）",
      emailSave: "保存邮箱",
      emailSaved: "已保存：有新进展时会发邮件到 {e}。",
      emailBad: "请填写有效的邮箱地址。",
      options: "可选回复",
      offline: "连接中断，正在重试…",
      limited: "操作太频繁，请 {s} 秒后再试。",
      failed: "发送失败，请稍后再试。",
      restarted: "之前的对话已结束，已为您开始新的对话。",
      expiredLink: "此链接已失效或已过期，已为您开始新的对话。",
      tooLarge: "文件太大。",
      badType: "只接受 JPEG、PNG、GIF、WebP 图片或 PDF 文件。",
    },
    en: {
      title: "Feedback",
      skip: "Skip to the message box",
      language: "Language",
      conversation: "Conversation",
      message: "Your message",
      placeholder: "Type here…",
      attach: "Upload a photo or PDF",
      send: "Send",
      bank: "Bank: ",
      you: "You: ",
      file: "File: ",
      resume: "Keep this link to come back for the result and the survey",
      email: "E-mail me when there is news (optional)",
      emailSave: "Save address",
      emailSaved: "Saved: news will be e-mailed to {e}.",
      emailBad: "Please give a valid e-mail address.",
      options: "Possible answers",
      offline: "Connection lost, trying again…",
      limited: "Too many requests; try again in {s} s.",
      failed: "That did not go through; please try again.",
      restarted: "The earlier conversation had ended; this is a new one.",
      expiredLink: "That link has expired or is not valid; this is a new conversation.",
      tooLarge: "That file is too large.",
      badType: "Only JPEG, PNG, GIF or WebP photos and PDF files are accepted.",
    },
  };
  const API = "/api/v1";
  const STORED = "intake.chat"; // sessionStorage: {token, language}
  const POLL_MS = 3000;
  // Kiosks end a conversation after this much inactivity; ?idle=S within the bounds.
  const IDLE_DEFAULT_S = 60;
  const IDLE_MIN_S = 2;
  const IDLE_MAX_S = 3600;

  const params = new URLSearchParams(location.search);
  const kiosk = params.get("kiosk") === "1";
  const embedded = params.get("embed") === "1";
  const origin = kiosk ? "kiosk" : params.get("app") === "1" ? "app" : "web";
  const idleSeconds = (() => {
    const value = Number(params.get("idle"));
    return Number.isInteger(value) && value >= IDLE_MIN_S && value <= IDLE_MAX_S
      ? value
      : IDLE_DEFAULT_S;
  })();

  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const status = $("status");
  const text = $("text");
  const fileInput = $("file");

  const state = {
    token: null,
    language: null,
    lastId: 0,
    seen: new Set(),
    stream: null,
    poll: null,
    idle: null,
  };

  const say = (key, values = {}) =>
    TEXTS[state.language][key].replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

  function browserLanguage() {
    const wanted = navigator.languages && navigator.languages.length
      ? navigator.languages
      : [navigator.language || ""];
    for (const tag of wanted) {
      const code = tag.toLowerCase().slice(0, 2);
      if (code === "zh" || code === "en") return code;
    }
    return "zh";
  }

  function stored() {
    try {
      return JSON.parse(sessionStorage.getItem(STORED) || "null");
    } catch (_) {
      return null;
    }
  }

  // A kiosk keeps nothing in the browser: the next person must find no trace.
  function keep() {
    if (kiosk) return;
    sessionStorage.setItem(STORED, JSON.stringify({ token: state.token, language: state.language }));
  }

  function showTexts() {
    document.documentElement.lang = state.language === "zh" ? "zh-Hans" : "en";
    document.title = say("title");
    for (const node of document.querySelectorAll("[data-t]")) node.textContent = say(node.dataset.t);
    for (const node of document.querySelectorAll("[data-t-placeholder]")) {
      node.placeholder = say(node.dataset.tPlaceholder);
    }
    for (const button of document.querySelectorAll("button.lang")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === state.language));
    }
  }

  function notice(message) {
    status.textContent = message || "";
  }

  async function call(method, path, body) {
    const headers = {};
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    const init = { method, headers };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, init);
    const data = response.headers.get("Content-Type")?.startsWith("application/json")
      ? await response.json()
      : null;
    return { status: response.status, data, retryAfter: response.headers.get("Retry-After") };
  }

  // A request whose answer is lost is sent again with the same client_message_id: the
  // service acts on it once.
  async function callOnce(method, path, body) {
    try {
      return await call(method, path, body);
    } catch (_) {
      return call(method, path, body);
    }
  }

  function bubble(who, label) {
    const item = document.createElement("div");
    item.className = `msg ${who}`;
    const speaker = document.createElement("span");
    speaker.className = "visually-hidden";
    speaker.textContent = say(label);
    item.append(speaker);
    return item;
  }

  function render(reply) {
    if (state.seen.has(reply.id)) return null;
    state.seen.add(reply.id);
    state.lastId = Math.max(state.lastId, reply.id);
    const item = bubble("bank", "bank");
    item.dataset.id = String(reply.id);
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = reply.text;
    item.append(body);
    if (reply.resume && !kiosk) {
      const link = document.createElement("a");
      link.className = "resume";
      link.href = reply.resume;
      link.textContent = say("resume");
      item.append(link);
      item.append(emailForm(reply.id));
    }
    if (reply.options && reply.options.length) {
      const group = document.createElement("div");
      group.className = "options";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", say("options"));
      for (const option of reply.options) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "option";
        button.dataset.key = option.key;
        button.textContent = option.label;
        group.append(button);
      }
      item.append(group);
    }
    log.append(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  // Offered with a filed case's confirmation (not on a kiosk): the address the service
  // e-mails when there is news while the customer is away (PUT /email).
  function emailForm(id) {
    const form = document.createElement("form");
    form.className = "email";
    const field = document.createElement("input");
    field.type = "email";
    field.id = `email-${id}`;
    field.autocomplete = "email";
    field.required = true;
    const label = document.createElement("label");
    label.htmlFor = field.id;
    label.textContent = say("email");
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = say("emailSave");
    form.append(label, field, save);
    return form;
  }

  async function saveEmail(form) {
    const field = form.querySelector("input");
    const answer = await callOnce("PUT", "/email", { email: field.value.trim() });
    if (answer.status === 200) {
      notice(say("emailSaved", { e: field.value.trim() }));
    } else if (answer.status === 429) {
      notice(say("limited", { s: answer.retryAfter || "60" }));
    } else {
      notice(say("emailBad"));
    }
  }

  // Renders what is new; returns the first choice of the last reply given, which the
  // event stream may have shown already.
  function renderAll(replies) {
    replies.forEach(render);
    const last = replies[replies.length - 1];
    const item = last ? log.querySelector(`.msg[data-id="${last.id}"]`) : null;
    return item ? item.querySelector("button.option:not(:disabled)") : null;
  }

  function mine(textShown, label = "you") {
    const item = bubble("me", label);
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = textShown;
    item.append(body);
    log.append(item);
  }

  function refused(answer) {
    if (answer.status === 429) return say("limited", { s: answer.retryAfter || "10" });
    if (answer.status === 413) return say("tooLarge");
    if (answer.status === 415) return say("badType");
    return say("failed");
  }

  // True when the service took the message. An answer to a conversation the page has
  // since left (a kiosk cleared meanwhile) is dropped.
  async function answered(answer, token) {
    if (token !== state.token) return false;
    if (answer.status === 200) {
      notice("");
      // Keyboard users land on the new choices, or back in the text box.
      (renderAll(answer.data.replies) || text).focus();
      return true;
    }
    if (answer.status === 401) {
      await restart();
      notice(say("restarted"));
      return false;
    }
    notice(refused(answer));
    return false;
  }

  async function send(body, shown) {
    if (!state.token) return false;
    mine(shown);
    const token = state.token;
    const request = { ...body, client_message_id: messageId() };
    try {
      return await answered(await callOnce("POST", "/messages", request), token);
    } catch (_) {
      notice(say("failed"));
      return false;
    }
  }

  async function upload(file) {
    if (!state.token || !file) return;
    const form = new FormData();
    form.append("file", file);
    const caption = text.value.trim();
    if (caption) form.append("caption", caption);
    form.append("client_message_id", messageId());
    mine(caption ? `${file.name}: ${caption}` : file.name, "file");
    text.value = "";
    const token = state.token;
    try {
      await answered(await callOnce("POST", "/attachments", form), token);
    } catch (_) {
      notice(say("failed"));
    }
  }

  function messageId() {
    return `p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  }

  async function open(request) {
    state.token = null;
    const answer = await call("POST", "/sessions", request);
    if (answer.status !== 201) {
      notice(refused(answer));
      return false;
    }
    state.token = answer.data.token;
    keep();
    renderAll(answer.data.replies);
    listen();
    return true;
  }

  function restart() {
    stopListening();
    clearConversation();
    return open({ origin, language: state.language });
  }

  async function reopen(token) {
    state.token = token;
    const answer = await call("GET", "/messages");
    if (answer.status !== 200) return restart();
    renderAll(answer.data.replies);
    listen();
    return true;
  }

  // What the bank sends later arrives on the event stream; without one, or when the
  // stream gives up, by asking every few seconds.
  function listen() {
    stopListening();
    if (!("EventSource" in window)) {
      startPolling();
      return;
    }
    const query = new URLSearchParams({ access_token: state.token, after: String(state.lastId) });
    const stream = new EventSource(`${API}/events?${query}`);
    stream.addEventListener("reply", (event) => {
      render(JSON.parse(event.data));
      notice("");
    });
    stream.addEventListener("error", () => {
      if (stream.readyState === EventSource.CLOSED) {
        state.stream = null;
        startPolling();
      } else {
        notice(say("offline"));
      }
    });
    state.stream = stream;
  }

  function startPolling() {
    if (state.poll !== null) return;
    state.poll = setInterval(async () => {
      const token = state.token;
      if (!token) return;
      try {
        const answer = await call("GET", `/messages?after=${state.lastId}`);
        if (answer.status === 200 && token === state.token) renderAll(answer.data.replies);
      } catch (_) {
        notice(say("offline"));
      }
    }, POLL_MS);
  }

  function stopListening() {
    if (state.stream) state.stream.close();
    state.stream = null;
    if (state.poll !== null) clearInterval(state.poll);
    state.poll = null;
  }

  function clearConversation() {
    for (const item of log.querySelectorAll(".msg")) item.remove();
    state.seen = new Set();
    state.lastId = 0;
    text.value = "";
    if (fileInput) fileInput.value = "";
    notice("");
  }

  // A kiosk: after idleSeconds without a touch or a key the conversation ends and the
  // page forgets it, for the next person at the terminal. The clock starts at the first
  // touch, so an untouched greeting is not renewed over and over.
  function touched() {
    if (!kiosk || !state.token) return;
    clearTimeout(state.idle);
    state.idle = setTimeout(endForNextPerson, idleSeconds * 1000);
  }

  async function endForNextPerson() {
    state.idle = null;
    const token = state.token;
    stopListening();
    state.token = null;
    sessionStorage.clear();
    clearConversation();
    state.language = browserLanguage();
    showTexts();
    if (token) {
      try {
        await fetch(`${API}/sessions`, {
          method: "DELETE",
          headers: { Authorization: `Bearer ${token}` },
          keepalive: true,
        });
      } catch (_) {
        // The session expires anyway; the page is clear already.
      }
    }
    await open({ origin, language: state.language });
  }

  function switchLanguage(language) {
    if (language === state.language) return;
    state.language = language;
    showTexts();
    if (!state.token) return;
    keep();
    const label = document.querySelector(`button.lang[data-lang="${language}"]`).textContent;
    send({ option: `l:${language}` }, label);
  }

  function bind() {
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = text.value.trim();
      if (!value) return;
      text.value = "";
      send({ text: value }, value);
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    log.addEventListener("submit", (event) => {
      const form = event.target.closest("form.email");
      if (!form) return;
      event.preventDefault();
      saveEmail(form);
    });
    log.addEventListener("click", async (event) => {
      const button = event.target.closest("button.option");
      if (!button || button.disabled) return;
      const group = [...button.parentElement.querySelectorAll("button")];
      for (const other of group) other.disabled = true;
      button.classList.add("chosen");
      if (!(await send({ option: button.dataset.key }, button.textContent))) {
        // Not taken: the choice can be made again.
        for (const other of group) other.disabled = false;
        button.classList.remove("chosen");
      }
    });
    for (const button of document.querySelectorAll("button.lang")) {
      button.addEventListener("click", () => switchLanguage(button.dataset.lang));
    }
    if (fileInput) {
      fileInput.addEventListener("change", () => {
        const [file] = fileInput.files;
        fileInput.value = "";
        upload(file);
      });
    }
    for (const kind of ["pointerdown", "keydown", "input"]) {
      document.addEventListener(kind, touched, { capture: true, passive: true });
    }
  }

  async function start() {
    if (kiosk) {
      document.body.classList.add("kiosk");
      $("upload").remove();
    }
    if (embedded) document.body.classList.add("embed");
    const kept = stored();
    state.language = (kept && kept.language) || browserLanguage();
    showTexts();
    bind();
    const resume = params.get("resume");
    if (resume) {
      // The link's token leaves the address bar (and the history) at once.
      params.delete("resume");
      const rest = params.toString();
      history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
      if (await open({ resume })) return;
      notice(say("expiredLink"));
    }
    if (kept && kept.token) {
      await reopen(kept.token);
      return;
    }
    await open({ origin, language: state.language });
  }

  start();
})();
