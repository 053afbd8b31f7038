// Progressive enhancements of the catalog; every page works without them.
// Adds a "Copy" button to each snippet marked .copy.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const el of document.querySelectorAll(".copy")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy to the clipboard");
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(el.textContent);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy";
      }
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    });
    el.insertAdjacentElement("afterend", button);
  }
});
