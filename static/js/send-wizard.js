// The study overview's Done panel: "All" ticks every participant checkbox of the selection form.
document.addEventListener("change", (event) => {
  const toggle = event.target.closest("[data-select-all]");
  if (!toggle) return;
  const form = toggle.form;
  document.querySelectorAll(`input[type=checkbox][name="${toggle.dataset.selectAll}"]`).forEach((box) => {
    if (box.form === form) box.checked = toggle.checked;
  });
});

// The send wizard's Cancel and Close buttons take the dialog away.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-close-dialog]");
  if (button) button.closest("dialog")?.remove();
});
