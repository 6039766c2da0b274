// One tag puts the feedback chat on another site:
//   <script src="https://SERVICE/web/embed.js" defer></script>
// It adds a button that opens the chat (SERVICE/?embed=1) in a frame, and closes it
// again. The site must be in INTAKE_WEB_ORIGINS, which the frame's CSP
// (frame-ancestors) follows. data-label on the tag names the button.
"use strict";

(() => {
  const script = document.currentScript;
  const root = new URL("/", script.src);
  const label = script.dataset.label || "意见反馈 · Feedback";

  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "intake-chat-frame");
  Object.assign(button.style, {
    position: "fixed",
    right: "1rem",
    bottom: "1rem",
    zIndex: "2147483647",
    font: "inherit",
    padding: "0.75rem 1rem",
    borderRadius: "2rem",
    border: "0",
    background: "#0b5cad",
    color: "#fff",
    cursor: "pointer",
  });

  let frame = null;
  function toggle() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "intake-chat-frame";
      frame.title = label;
      frame.src = new URL("?embed=1", root).href;
      Object.assign(frame.style, {
        position: "fixed",
        right: "1rem",
        bottom: "4.5rem",
        width: "min(24rem, calc(100vw - 2rem))",
        height: "min(36rem, calc(100vh - 6rem))",
        border: "1px solid #c9d1d9",
        borderRadius: "0.75rem",
        background: "#fff",
        zIndex: "2147483647",
      });
      document.body.append(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
    if (!frame.hidden) frame.focus();
  }
  button.addEventListener("click", toggle);
  document.body.append(button);
})();
