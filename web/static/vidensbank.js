// Vidensbank: progressive enhancement only – the page works fully without this file.
// 1) search as you type (after a short pause): the server renders the page – results, "Mente
// du …?", the nearest topics when nothing is a sure answer – and this swaps in its <main>,
// 2) keyboard navigation between results (and the nearest topics).
(function () {
  "use strict";
  var form = document.querySelector("[data-search-form]");
  var input = form && form.querySelector("input[name=q]");
  var main = document.getElementById("indhold");
  var status = document.getElementById("live-status");
  if (!form || !input || !main) return;

  var PAUSE_MS = 450;
  var MIN_CHARS = 3;
  var timer = null;
  var controller = null;
  var lastUrl = location.pathname + location.search;

  function urlFor() {
    var params = new URLSearchParams(new FormData(form));
    params.set("q", input.value.trim());
    return "/?" + params.toString();
  }

  function load(url) {
    if (url === lastUrl) return;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    main.setAttribute("aria-busy", "true");
    // X-Vidensbank-Live: the query log keeps only the question typing settles on
    fetch(url, { headers: { Accept: "text/html", "X-Vidensbank-Live": "1" }, signal: controller && controller.signal })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("indhold");
        if (!fresh) return;
        var nodes = Array.prototype.map.call(fresh.childNodes, function (n) {
          return document.importNode(n, true);
        });
        main.replaceChildren.apply(main, nodes);
        document.title = doc.title;
        document.body.className = doc.body.className;
        history.replaceState(null, "", url);
        lastUrl = url;
        if (status) status.textContent = announcement();
      })
      .catch(function () { /* aborted or offline: the form still works on Enter */ })
      .then(function () { main.removeAttribute("aria-busy"); });
  }

  // What a screen reader hears after an update: the count, then "Mente du …?" and the
  // "no sure answer" heading when the server page shows them (marked data-announce).
  function announcement() {
    var parts = Array.prototype.map.call(main.querySelectorAll("[data-announce]"), function (el) {
      return el.textContent.replace(/\s+/g, " ").trim();
    });
    if (!parts.length) {
      var heading = main.querySelector("h1, .empty-state h2");
      if (heading) parts.push(heading.textContent.trim());
    }
    return parts.join(" ");
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var value = input.value.trim();
    if (value.length < MIN_CHARS) return;
    timer = setTimeout(function () { load(urlFor()); }, PAUSE_MS);
  });
  form.addEventListener("submit", function () {
    clearTimeout(timer);
    if (controller) controller.abort();
  });

  function resultLinks() {
    return Array.prototype.slice.call(main.querySelectorAll("[data-result-link]"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    var typing = target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable;
    if (event.key === "/" && !typing) {
      event.preventDefault();
      input.focus();
      input.select();
      return;
    }
    var links = resultLinks();
    if (!links.length) return;
    var index = links.indexOf(target);
    if (target === input && event.key === "ArrowDown") {
      event.preventDefault();
      links[0].focus();
    } else if (index >= 0 && event.key === "ArrowDown") {
      event.preventDefault();
      links[Math.min(index + 1, links.length - 1)].focus();
    } else if (index >= 0 && event.key === "ArrowUp") {
      event.preventDefault();
      if (index === 0) input.focus(); else links[index - 1].focus();
    } else if (event.key === "Escape" && main.contains(target)) {
      input.focus();
    }
  });
})();

// Citations: a "Kopiér kildeangivelse" button beside every citation ([data-citation]). The
// citation itself is plain text in the page; the button exists only when this runs. Results
// swapped in by search-as-you-type are enhanced too (MutationObserver).
(function () {
  "use strict";
  var FEEDBACK_MS = 4000;

  function copyWithSelection(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (err) { copied = false; }
    document.body.removeChild(area);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithSelection(text);
      });
    }
    return copyWithSelection(text);
  }

  function enhance(box) {
    if (box.hasAttribute("data-citation-ready")) return;
    var source = box.querySelector("[data-citation-text]");
    if (!source) return;
    box.setAttribute("data-citation-ready", "");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-citation";
    button.textContent = "Kopiér kildeangivelse";
    if (source.id) button.setAttribute("aria-describedby", source.id);
    var feedback = document.createElement("span");
    feedback.className = "copy-feedback";
    feedback.setAttribute("role", "status");
    var timer = null;
    button.addEventListener("click", function () {
      copyText(source.textContent.replace(/\s+/g, " ").trim()).then(
        function () { feedback.textContent = "Kopieret"; },
        function () { feedback.textContent = "Kunne ikke kopiere – markér teksten og kopiér den selv"; }
      ).then(function () {
        clearTimeout(timer);
        timer = setTimeout(function () { feedback.textContent = ""; }, FEEDBACK_MS);
      });
    });
    box.appendChild(button);
    box.appendChild(feedback);
  }

  function enhanceAll(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-citation]"), enhance);
  }

  enhanceAll(document);
  var main = document.getElementById("indhold");
  if (main && window.MutationObserver) {
    new MutationObserver(function () { enhanceAll(main); }).observe(main, { childList: true, subtree: true });
  }
})();

// Feedback (👍/👎 under each result): posted to /api/feedback in place, and the buttons give
// way to "Tak for din vurdering". Without this the form posts to /feedback and the page
// comes back with the same thanks. Listens on the document, so results swapped in by
// search-as-you-type work too.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;
  var THANKS = "Tak for din vurdering";

  function thank(form) {
    var box = form.parentNode;
    var note = document.createElement("p");
    note.className = "feedback-thanks";
    note.setAttribute("role", "status");
    note.tabIndex = -1;
    note.textContent = THANKS;
    box.replaceChildren(note);
    note.focus();  // the pressed button is gone: keep keyboard users where they were
  }

  function failed(form, response) {
    var wait = response && response.headers.get("Retry-After");
    var status = form.querySelector("[data-feedback-status]");
    if (status) {
      status.textContent = response && response.status === 429
        ? "Du har givet mange vurderinger på kort tid. Prøv igen om " + (wait || "lidt") + " sekunder."
        : "Vurderingen kunne ikke gemmes. Prøv igen om lidt.";
    }
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    if (!form.matches || !form.matches("[data-feedback-form]") || !button) return;
    event.preventDefault();
    var data = new FormData(form);
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = true; });
    fetch("/api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        query: data.get("q"),
        passage_id: data.get("passage_id"),
        useful: button.value === "1"
      })
    })
      .then(function (response) { if (response.ok) thank(form); else failed(form, response); })
      .catch(function () { failed(form, null); });
  });
})();
