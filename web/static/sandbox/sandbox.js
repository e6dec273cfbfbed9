/* The sandbox page: draws the simulators' views and sends what a person does.
 *
 * Every call goes to /sandbox/api on this origin (the server forwards it to the simulators'
 * control endpoints). Citizens' and moderators' text is always set with textContent; only
 * the bot's formatted text comes as HTML, already sanitised by the server (b, i, u, s, a,
 * code, pre, blockquote), and only that field is ever set as HTML.
 */
(function () {
  "use strict";

  const root = document.getElementById("sandbox");
  if (!root) return;
  const api = root.dataset.api;
  const said = root.dataset;
  const POLL_MS = 1000;
  const drawn = new Map();
  let replyTo = null;
  let offline = false;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function status(line) {
    document.getElementById("sandbox-status").textContent = line || "";
  }

  async function post(path, values) {
    const response = await fetch(api + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(values),
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch (error) {
      answer = { error: response.statusText };
    }
    if (!response.ok) {
      status(answer.error || response.statusText);
      return false;
    }
    status(said.sent);
    poll();
    return true;
  }

  function chosen(platform) {
    const select = document.getElementById("citizen-" + platform);
    return select ? select.value : "";
  }

  /* One message or post. `onPress(label)` presses a button; `onReply` marks a reply. */
  function bubble(item, onPress, onReply) {
    const li = el("li", "bubble " + (item.mine ? "mine" : "theirs"));
    if (item.deleted) li.classList.add("deleted");
    li.dataset.id = item.id;
    li.appendChild(el("p", "author", item.author));
    if (item.reply_to) li.appendChild(el("p", "quote", "↩ " + item.reply_to));
    for (const src of item.photos) {
      const img = el("img", "photo");
      img.src = src;
      img.alt = said.photo;
      li.appendChild(img);
    }
    const body = el("div", "text");
    if (item.html !== null) {
      body.innerHTML = item.html; // sanitised by the server (web/sandbox/sanitize.py)
    } else {
      body.textContent = item.text;
    }
    if (item.html !== null || item.text) li.appendChild(body);
    const marks = [];
    if (item.edited) marks.push(said.edited);
    if (item.deleted) marks.push(said.deleted);
    if (marks.length) li.appendChild(el("p", "meta", marks.join(" · ")));
    if (!item.deleted && onPress) {
      for (const row of item.buttons) {
        const line = el("div", "buttons");
        for (const button of row) {
          if (button.url) {
            const link = el("a", "link-button", button.label);
            link.href = button.url;
            link.rel = "noopener noreferrer";
            link.target = "_blank";
            line.appendChild(link);
          } else {
            const press = el("button", "press", button.label);
            press.type = "button";
            press.addEventListener("click", () => onPress(item.id, button.label));
            line.appendChild(press);
          }
        }
        li.appendChild(line);
      }
    }
    if (!item.deleted && onReply) {
      const reply = el("button", "reply", said.reply);
      reply.type = "button";
      reply.addEventListener("click", () => onReply(item));
      li.appendChild(reply);
    }
    return li;
  }

  /* Redraw a list only when what it shows changed (keeps focus and scroll otherwise). */
  function draw(list, key, items, make) {
    const fingerprint = JSON.stringify(items);
    if (drawn.get(key) === fingerprint) return;
    drawn.set(key, fingerprint);
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    list.replaceChildren();
    if (!items.length) list.appendChild(el("li", "empty", said.empty));
    for (const item of items) list.appendChild(make(item));
    if (!atBottom) return;
    const stick = () => { list.scrollTop = list.scrollHeight; };
    stick();
    for (const img of list.querySelectorAll("img")) img.addEventListener("load", stick);
  }

  function startReply(item) {
    replyTo = item.id;
    const box = document.querySelector("#admin-compose .replying");
    box.querySelector(".replying-to").textContent =
      said.replying + " " + (item.text || "").split("\n")[0].slice(0, 80);
    box.hidden = false;
    document.getElementById("admin-text").focus();
  }

  function cancelReply() {
    replyTo = null;
    document.querySelector("#admin-compose .replying").hidden = true;
  }

  function drawScenario(state) {
    const button = document.getElementById("rehearsal-button");
    if (!button || !state) return;
    button.textContent = state.running ? button.dataset.stop : button.dataset.start;
    button.dataset.running = state.running ? "1" : "";
    document.getElementById("rehearsal-state").textContent = state.line;
  }

  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const query = new URLSearchParams();
      for (const platform of ["telegram", "vk", "max"]) {
        const id = chosen(platform);
        if (id) query.set(platform, id);
      }
      const response = await fetch(api + "/views?" + query.toString());
      if (!response.ok) throw new Error(response.statusText);
      const views = await response.json();
      for (const phone of document.querySelectorAll("section.phone")) {
        const platform = phone.dataset.platform;
        const user = chosen(platform);
        const press = (message, button) =>
          post("/phone/" + platform + "/press", { user_id: user, message: message, button: button });
        draw(phone.querySelector(".chat"), "phone:" + platform + ":" + user,
          views.phones[platform], (item) => bubble(item, press, null));
      }
      const adminPress = (message, button) => post("/admin/press", { message: message, button: button });
      draw(document.getElementById("admin-chat"), "admin", views.admin,
        (item) => bubble(item, adminPress, item.mine ? null : startReply));
      for (const channel of document.querySelectorAll("section.channel")) {
        const platform = channel.dataset.channel;
        draw(channel.querySelector(".feed"), "channel:" + platform,
          views.channels[platform], (item) => bubble(item, null, null));
      }
      drawScenario(views.scenario);
      if (offline) {
        offline = false;
        status("");
      }
    } catch (error) {
      offline = true;
      status(said.offline);
    } finally {
      polling = false;
    }
  }

  /* A photo as base64. A large one (a phone camera's) is re-encoded as JPEG, at most
   * 1600 px wide or high, smaller still until it fits: the page's requests must stay under
   * the web server's 1 MiB body limit. */
  const PHOTO_AS_IS = 700 * 1024;
  const PHOTO_SIDE = 1600;
  const PHOTO_CHARS = 900 * 1024;

  function dataUrl(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  function encoded(img, side, quality) {
    const scale = Math.min(1, side / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", quality);
  }

  function shrunk(url) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        let side = PHOTO_SIDE;
        let quality = 0.85;
        let out = encoded(img, side, quality);
        while (out.length > PHOTO_CHARS && side > 160) {
          if (quality > 0.6) quality -= 0.15;
          else side = Math.round(side * 0.75);
          out = encoded(img, side, quality);
        }
        resolve(out);
      };
      img.onerror = () => reject(new Error("not an image"));
      img.src = url;
    });
  }

  async function readPhoto(input) {
    const file = input.files && input.files[0];
    if (!file) return null;
    let url = await dataUrl(file);
    if (file.size > PHOTO_AS_IS) url = await shrunk(url);
    return url.split(",", 2)[1];
  }

  for (const phone of document.querySelectorAll("section.phone")) {
    const platform = phone.dataset.platform;
    phone.querySelector(".start").addEventListener("click", () =>
      post("/phone/" + platform + "/start", { user_id: chosen(platform) }));
    phone.querySelector(".citizen").addEventListener("change", poll);
    const form = phone.querySelector("form.compose");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = form.elements.text.value;
      let photo = null;
      try {
        photo = await readPhoto(form.elements.photo);
      } catch (error) {
        status(said.notImage);
        return;
      }
      if (!text.trim() && !photo) return;
      const values = { user_id: chosen(platform), text: text };
      if (photo) values.photo = photo;
      if (await post("/phone/" + platform + "/say", values)) form.reset();
    });
  }

  const adminForm = document.getElementById("admin-compose");
  adminForm.querySelector(".cancel-reply").addEventListener("click", cancelReply);
  adminForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = adminForm.elements.text.value;
    if (!text.trim()) return;
    const values = { text: text };
    if (replyTo) values.reply_to = replyTo;
    if (await post("/admin/say", values)) {
      adminForm.elements.text.value = "";
      cancelReply();
    }
  });

  const rehearsal = document.getElementById("rehearsal-button");
  if (rehearsal) {
    rehearsal.addEventListener("click", () =>
      post("/scenario/" + (rehearsal.dataset.running ? "stop" : "start"), {}));
  }

  poll();
  setInterval(poll, POLL_MS);
})();
