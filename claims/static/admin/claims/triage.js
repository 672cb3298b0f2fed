// The triage page's keyboard: j/k (or the arrows) move between drafts, and the key a button
// or link names in its data-key acts on the current draft, or on the page (o, l).
// The page comes with the similar claims of the current draft only: those of a draft are
// fetched from the similar-claims endpoint when it is selected (and of the next one, ahead).
(function () {
  "use strict";

  const page = document.querySelector(".triage");
  if (!page) {
    return;
  }
  const drafts = Array.from(page.querySelectorAll(".triage-draft"));
  let current = null;
  const template = document.getElementById("triage-suggestion");
  const shown = Number(page.dataset.suggestions) || 3;

  function suggestion(draft, box, match, number) {
    const item = template.content.firstElementChild.cloneNode(true);
    const form = item.querySelector("form");
    if (form) {
      form.elements.draft.value = draft.dataset.draft;
      form.elements.keep.value = match.id;
      if (box.dataset.next) {
        form.elements.focus.value = box.dataset.next;
      } else {
        form.elements.focus.remove();
      }
      const button = form.querySelector("button");
      button.dataset.key = String(number);
      button.textContent = "Merge into (" + number + ")";
      button.title = "Its appearances become public in claim #" + match.id;
    }
    const link = item.querySelector(".triage-claim");
    link.href = match.url;
    link.textContent = "#" + match.id;
    item.querySelector(".triage-claim-text").textContent = match.text;
    item.querySelector(".triage-similarity").textContent =
      match.similarity.toFixed(2) + " alike";
    return item;
  }

  function load(draft) {
    const box = draft && draft.querySelector(".triage-similar");
    if (!box || box.dataset.loaded !== "false") {
      return;
    }
    box.dataset.loaded = "loading";
    box.setAttribute("aria-busy", "true");
    const query = new URLSearchParams({
      text: draft.querySelector(".triage-text").textContent,
      claim: draft.dataset.draft,
    });
    fetch(page.dataset.similarUrl + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("similar claims: HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        const matches = data.results.slice(0, shown);
        box.replaceChildren();
        if (matches.length) {
          const list = document.createElement("ol");
          list.className = "triage-suggestions";
          matches.forEach(function (match, index) {
            list.append(suggestion(draft, box, match, index + 1));
          });
          box.append(list);
        } else {
          const none = document.createElement("p");
          none.className = "triage-none";
          none.textContent = "No similar published claim.";
          box.append(none);
        }
        box.dataset.loaded = "true";
      })
      .catch(function () {
        // The link to the draft's page with its suggestions stays: the editor may follow it.
        box.dataset.loaded = "false";
      })
      .finally(function () {
        box.removeAttribute("aria-busy");
      });
  }

  function select(draft) {
    if (!draft) {
      return;
    }
    if (current) {
      current.classList.remove("is-current");
    }
    current = draft;
    current.classList.add("is-current");
    current.focus({ preventScroll: true });
    current.scrollIntoView({ block: "nearest" });
    load(current);
    load(drafts[drafts.indexOf(current) + 1]);
  }

  function move(step) {
    const index = drafts.indexOf(current);
    select(drafts[Math.min(Math.max(index + step, 0), drafts.length - 1)]);
  }

  function act(key) {
    const scope = current || page;
    const target =
      scope.querySelector('[data-key="' + key + '"]') ||
      page.querySelector('.triage-options [data-key="' + key + '"]');
    if (!target) {
      return false;
    }
    if (target.form) {
      target.form.requestSubmit(target);
    } else {
      target.click();
    }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (typing) {
      return;
    }
    let handled = true;
    switch (event.key) {
      case "j":
      case "ArrowDown":
        move(1);
        break;
      case "k":
      case "ArrowUp":
        move(-1);
        break;
      default:
        handled = act(event.key);
    }
    if (handled) {
      event.preventDefault();
    }
  });

  drafts.forEach(function (draft) {
    draft.addEventListener("click", function () {
      select(draft);
    });
  });

  const wanted = page.dataset.focus && document.getElementById("draft-" + page.dataset.focus);
  select(wanted || drafts[0]);
})();
