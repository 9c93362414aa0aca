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
    fetch(url, { headers: { Accept: "text/html" }, signal: controller && controller.signal })
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
