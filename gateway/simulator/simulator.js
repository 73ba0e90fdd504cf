// Saphan simulator: sends LINE-like events to the gateway and renders the bot's LINE messages.
(() => {
  const log = document.getElementById("log");
  const quick = document.getElementById("quick");
  const audienceSelect = document.getElementById("audience");
  let lastId = 0;

  const audience = () => audienceSelect.value;
  const userKey = () => `saphan-sim-user-${audience()}`;
  function userId() {
    let id = localStorage.getItem(userKey());
    if (!id) {
      id = "sim-" + crypto.randomUUID().replaceAll("-", "");
      localStorage.setItem(userKey(), id);
    }
    return id;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function addRow(who, content) {
    const row = el("div", `row ${who}`);
    row.appendChild(content);
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function flexTexts(box, into) {
    for (const item of (box && box.contents) || []) {
      if (item.type === "text") into.appendChild(el("div", into.children.length ? "" : "title", item.text));
      else if (item.type === "box") flexTexts(item, into);
      else if (item.type === "button" && item.action && item.action.uri) {
        const a = el("a", "", item.action.label);
        a.href = item.action.uri;
        a.target = "_blank";
        into.appendChild(a);
      }
    }
  }

  function renderFlex(message) {
    const contents = message.contents || {};
    const bubbles = contents.type === "carousel" ? contents.contents : [contents];
    const carousel = el("div", "carousel flex");
    for (const bubble of bubbles) {
      const card = el("div", "card");
      flexTexts(bubble.body, card);
      flexTexts(bubble.footer, card);
      carousel.appendChild(card);
    }
    return carousel;
  }

  function renderQuick(message) {
    quick.replaceChildren();
    for (const item of (message.quickReply && message.quickReply.items) || []) {
      const action = item.action || {};
      const button = el("button", "quick-reply", action.label);
      button.type = "button";
      button.addEventListener("click", () => {
        addRow("user", el("div", "bubble", action.displayText || action.label));
        quick.replaceChildren();
        send({ postback: action.data });
      });
      quick.appendChild(button);
    }
  }

  function render(message) {
    if (message.type === "text") addRow("bot", el("div", "bubble bot-text", message.text));
    else if (message.type === "flex") addRow("bot", renderFlex(message));
    else addRow("bot", el("div", "bubble", `[${message.type}]`));
    if (message.quickReply) renderQuick(message);
  }

  async function send(body) {
    const response = await fetch(`/simulator/api/${audience()}/events`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user: userId(), ...body }),
    });
    if (!response.ok) addRow("bot", el("div", "bubble error", `error ${response.status}`));
  }

  async function poll() {
    try {
      const url = `/simulator/api/${audience()}/messages?user=${userId()}&after=${lastId}`;
      const response = await fetch(url);
      if (response.ok) {
        for (const batch of await response.json()) {
          lastId = Math.max(lastId, batch.id);
          batch.messages.forEach(render);
        }
      }
    } catch (err) { /* gateway restarting: try again */ }
    setTimeout(poll, 700);
  }

  function start() {
    log.replaceChildren();
    quick.replaceChildren();
    lastId = 0;
    if (!localStorage.getItem(userKey())) { userId(); send({ follow: true }); }
  }

  document.getElementById("send").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("text");
    const text = input.value.trim();
    if (!text) return;
    addRow("user", el("div", "bubble user-text", text));
    input.value = "";
    send({ text });
  });
  audienceSelect.addEventListener("change", start);
  document.getElementById("reset").addEventListener("click", () => {
    localStorage.removeItem(userKey());
    start();
  });
  start();
  poll();
})();
