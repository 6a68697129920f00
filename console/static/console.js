// Progressive enhancement for the admin console; every page works without it.
//
// - Copy buttons: <button data-copy="ID"> copies the text of the element with that id (or the
//   value of an input) to the clipboard and says so in the button's data-copied element.
// - Confirmations: <form data-confirm="Question?"> asks before submitting.
// - Warnings of choices: a radio button's change shows the elements whose data-warning-for is
//   its value and hides the others of its group's form.
// - Job progress: <div data-follow-job="URL"> asks the JSON API at URL every second while the
//   job is queued or running, and sets its <progress> and its [data-job-status] text; the page is
//   reloaded when the job ends, to show the outcome.
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

const showWarningsOf = (radio) => {
  if (!radio.form) return;
  for (const warning of radio.form.querySelectorAll("[data-warning-for]")) {
    if (radio.form.querySelector(`input[type=radio][value="${CSS.escape(warning.dataset.warningFor)}"]`)?.name !== radio.name) continue;
    warning.hidden = warning.dataset.warningFor !== radio.value;
  }
};

document.addEventListener("change", (event) => {
  const radio = event.target.closest("input[type=radio]");
  if (radio) showWarningsOf(radio);
});

// A choice made before this deferred script ran (or restored by the browser) shows its warning too.
for (const radio of document.querySelectorAll("form input[type=radio]:checked")) showWarningsOf(radio);

for (const box of document.querySelectorAll("[data-follow-job]")) {
  const bar = box.querySelector("progress");
  const status = box.querySelector("[data-job-status]");
  const follow = async () => {
    let job;
    try {
      const answer = await fetch(box.dataset.followJob, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!answer.ok) throw new Error(`${answer.status}`);
      job = await answer.json();
    } catch (error) {
      window.setTimeout(follow, 3000);
      return;
    }
    if (job.total !== null) bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    if (status) status.textContent = `Moving files: ${job.done} of ${job.total ?? "…"}.`;
    if (job.status === "queued" || job.status === "running") {
      window.setTimeout(follow, 1000);
    } else {
      window.location.reload();
    }
  };
  window.setTimeout(follow, 500);
}
