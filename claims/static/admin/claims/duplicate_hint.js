// The claim form's duplicate hint: as the text changes, ask for the published claims most like
// it and list them under the field, before anything is saved.
(function () {
  "use strict";

  function start() {
    const hint = document.querySelector(".duplicate-hint");
    const text = document.getElementById("id_text");
    if (!hint || !text) {
      return;
    }
    const list = hint.querySelector("ol");
    const none = hint.querySelector(".duplicate-none");
    let timer = null;
    let asked = 0;

    function show(results) {
      list.replaceChildren();
      results.forEach(function (match) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = match.url;
        link.textContent = "#" + match.id;
        const similarity = document.createElement("span");
        similarity.className = "similarity";
        similarity.textContent = match.similarity.toFixed(2) + " alike";
        item.append(link, " " + match.text + " ", similarity);
        list.append(item);
      });
      none.hidden = results.length > 0;
    }

    function ask() {
      const query = new URLSearchParams({ text: text.value, claim: hint.dataset.claim });
      const mine = ++asked;
      fetch(hint.dataset.url + "?" + query, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (body) {
          if (mine === asked) {
            show(body.results);
          }
        });
    }

    text.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 300);
    });
    if (!hint.dataset.claim && text.value) {
      ask();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
