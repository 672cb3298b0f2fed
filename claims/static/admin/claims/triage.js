// The triage page's keyboard: j/k (or the arrows) move between drafts, and the key a button
// or link names in its data-key acts on the current draft, or on the page (o, l).
(function () {
  "use strict";

  const page = document.querySelector(".triage");
  if (!page) {
    return;
  }
  const drafts = Array.from(page.querySelectorAll(".triage-draft"));
  let current = null;

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
