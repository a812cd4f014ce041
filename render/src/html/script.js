// runglass receipt: optional helpers. The page is complete without them; they add
// "expand all / collapse all" for diffs and the process tree, and a filter over file paths.
(function () {
  "use strict";
  for (const tools of document.querySelectorAll("[data-tools]")) {
    const scope = document.getElementById(tools.dataset.tools);
    if (!scope) continue;
    tools.hidden = false;
    for (const button of tools.querySelectorAll("button[data-open]")) {
      button.addEventListener("click", function () {
        const open = button.dataset.open === "true";
        for (const details of scope.querySelectorAll("details")) details.open = open;
      });
    }
    const filter = tools.querySelector("input[type=search]");
    const shown = tools.querySelector("output");
    if (!filter) continue;
    const entries = Array.from(scope.children);
    filter.addEventListener("input", function () {
      const needle = filter.value.trim().toLowerCase();
      let visible = 0;
      for (const entry of entries) {
        const path = entry.querySelector(".path");
        const match = !needle || (path && path.textContent.toLowerCase().includes(needle));
        entry.hidden = !match;
        if (match) visible++;
      }
      if (shown) shown.textContent = needle ? visible + " of " + entries.length + " shown" : "";
    });
  }
})();
