// Provider offers: share a link, and show only the fields of the chosen delivery method.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-share-url]");
  if (!button) return;
  const url = button.dataset.shareUrl;
  const copied = () => { button.textContent = gettext("Link copied"); };
  if (navigator.share && window.matchMedia("(pointer: coarse)").matches) {
    navigator.share({ title: button.dataset.shareTitle || document.title, url }).catch(() => {});
  } else if (navigator.clipboard) {
    navigator.clipboard.writeText(url).then(copied, () => window.prompt(gettext("Copy this link"), url));
  } else {
    window.prompt(gettext("Copy this link"), url);
  }
});

function showDeliveryFields(form) {
  const chosen = form.querySelector("input[name=delivery]:checked");
  if (!chosen) return;
  form.querySelectorAll("[data-delivery]").forEach((section) => {
    section.hidden = section.dataset.delivery !== chosen.value;
  });
}

document.addEventListener("change", (event) => {
  if (event.target.name === "delivery" && event.target.form) showDeliveryFields(event.target.form);
});

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.offer-form").forEach(showDeliveryFields);
});

// The create form shows only what applies: the program's incentive types, the maximum for
// a group (which goes out as a shareable link), and a link template's values once chosen.
function offerFormData() {
  const script = document.getElementById("offer-form-data");
  return script ? JSON.parse(script.textContent) : null;
}

function showProgramTypes(form, data) {
  const program = form.elements.program, type = form.elements.incentive_type;
  if (!program || !type || !data) return;
  const allowed = data.programs[program.value] || [];
  let firstAllowed = null;
  for (const option of type.options) {
    const ok = allowed.includes(option.value);
    option.hidden = !ok; option.disabled = !ok;
    if (ok && firstAllowed === null) firstAllowed = option.value;
  }
  if (!allowed.includes(type.value) && firstAllowed !== null) type.value = firstAllowed;
}

function showGroupFields(form) {
  const group = form.elements.is_group;
  if (!group) return;
  form.querySelectorAll("[data-group-only]").forEach((el) => { el.hidden = !group.checked; });
  const email = form.querySelector("input[name=delivery][value=email]");
  const link = form.querySelector("input[name=delivery][value=link]");
  if (email && link) {
    email.disabled = group.checked;
    if (group.checked && email.checked) { link.checked = true; showDeliveryFields(form); }
  }
}

function applyTemplate(form, data, id) {
  const values = data && data.templates[id];
  if (!values) return;
  for (const [name, value] of Object.entries(values)) {
    const field = form.elements[name];
    if (!field) continue;
    if (field.type === "checkbox") field.checked = Boolean(value); else field.value = value;
  }
  showProgramTypes(form, data);
  if (form.elements.incentive_type) form.elements.incentive_type.value = values.incentive_type;
  showGroupFields(form);
}

document.addEventListener("change", (event) => {
  const form = event.target.form;
  if (!form || !form.classList.contains("offer-form")) return;
  const data = offerFormData();
  if (event.target.name === "program") showProgramTypes(form, data);
  if (event.target.name === "is_group") showGroupFields(form);
  if (event.target.name === "link_template") applyTemplate(form, data, event.target.value);
});

document.addEventListener("DOMContentLoaded", () => {
  const data = offerFormData();
  document.querySelectorAll("form.offer-form").forEach((form) => { showProgramTypes(form, data); showGroupFields(form); });
});

// A character counter under every text with the one message limit (textarea[data-counter]).
function updateCounter(field) {
  const counter = field.nextElementSibling;
  if (!counter || !counter.classList.contains("char-counter")) return;
  const limit = Number(field.getAttribute("maxlength"));
  counter.textContent = `${field.value.length.toLocaleString()} of ${limit.toLocaleString()} characters`;
  counter.classList.toggle("over", field.value.length >= limit);
}

function addCounters(root) {
  root.querySelectorAll("textarea[data-counter][maxlength]").forEach((field) => {
    if (!(field.nextElementSibling && field.nextElementSibling.classList.contains("char-counter"))) {
      const counter = document.createElement("small");
      counter.className = "char-counter muted";
      counter.setAttribute("aria-live", "polite");
      field.after(counter);
    }
    updateCounter(field);
  });
}

document.addEventListener("input", (event) => {
  if (event.target.matches && event.target.matches("textarea[data-counter]")) updateCounter(event.target);
});
document.addEventListener("DOMContentLoaded", () => addCounters(document));
document.addEventListener("htmx:afterSettle", (event) => addCounters(event.target));
