// Progressive enhancement for the admin console; every page works without it.
//
// - Copy buttons: <button data-copy="ID"> copies the text of the element with that id (or the
//   value of an input) to the clipboard and says so in the button's data-copied element.
// - Confirmations: <form data-confirm="Question?"> asks before submitting.
"use strict";

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  event.preventDefault();
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = "value" in source && source.value !== undefined ? source.value : source.textContent.trim();
  const status = button.parentElement.querySelector(".copy-status");
  try {
    await navigator.clipboard.writeText(text);
    if (status) status.textContent = "Copied";
  } catch (error) {
    if (source.select) source.select();
    if (status) status.textContent = "Press Ctrl+C to copy";
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// Copy buttons are useless without the script: they stay hidden until it runs.
for (const button of document.querySelectorAll("button[data-copy][hidden]")) button.hidden = false;
