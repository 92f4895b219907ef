// Small behaviours without inline handlers (the Content-Security-Policy forbids them).
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) event.target.form.requestSubmit();
});

// One accessible confirm dialog for every destructive or money-moving action. The question is the
// element's hx-confirm (htmx's own attribute); data-confirm-yes and data-confirm-no name the
// buttons ("Cancel 3 incentives" / "Keep them"); "{count}" stands for the selection's count, and
// "{name}" for the text of the form's [data-confirm-value="name"] (what the selection holds).
// Focus moves to the safe button and returns where it was; Escape answers no.
function askConfirm(source, question) {
  const dialog = document.getElementById("confirm-dialog");
  const form = source.closest("form");
  const values = { count: form?.querySelector("[data-selected-count]")?.textContent.trim() || "" };
  form?.querySelectorAll("[data-confirm-value]").forEach((element) => {
    values[element.dataset.confirmValue] = element.textContent.trim();
  });
  const figures = form?.dataset.leftMinor ? redeemFigures(form) : {};
  if (figures.amount !== undefined) values.amount = figures.amount;
  if (figures.left !== undefined) values.left = figures.left;
  const fill = (text) => text.replace(/\{([\w-]+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  const yes = dialog.querySelector('[data-confirm-answer="yes"]');
  const no = dialog.querySelector('[data-confirm-answer="no"]');
  dialog.querySelector("#confirm-question").textContent = fill(question);
  yes.textContent = fill(source.dataset.confirmYes || "Confirm");
  no.textContent = fill(source.dataset.confirmNo || "Cancel");
  const returnTo = document.activeElement;
  return new Promise((resolve) => {
    const answer = (event) => {
      const button = event.target.closest("[data-confirm-answer]");
      if (button) dialog.close(button.dataset.confirmAnswer);
    };
    dialog.addEventListener("click", answer);
    dialog.addEventListener("close", () => {
      dialog.removeEventListener("click", answer);
      returnTo?.focus?.();
      resolve(dialog.returnValue === "yes");
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    no.focus();
  });
}

// htmx requests: htmx's own hook, so hx-confirm never reaches window.confirm.
document.addEventListener("htmx:confirm", (event) => {
  if (!event.detail.question) return;
  event.preventDefault();
  askConfirm(event.detail.elt, event.detail.question).then((yes) => yes && event.detail.issueRequest(true));
});

// Plain forms (no htmx request): the same attribute and dialog, then the submit goes on.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const source = event.submitter?.hasAttribute("hx-confirm") ? event.submitter : form;
  const question = source.getAttribute("hx-confirm");
  if (!question || form.dataset.confirmed === "yes") return;
  event.preventDefault();
  if (redeemAmountRefused(form, event.submitter)) return;
  askConfirm(source, question).then((yes) => {
    if (!yes) return;
    form.dataset.confirmed = "yes";
    // The answer was yes: a button marked data-sets-confirmed tells the server so (it asks no more).
    const flag = form.querySelector("[data-confirmed]");
    if (flag) flag.value = source.hasAttribute("data-sets-confirmed") ? "1" : "";
    form.requestSubmit(event.submitter || undefined);
    delete form.dataset.confirmed;
  });
});

// A button whose request is in flight is disabled until the answer comes: a second click sends
// nothing (the server refuses repeats anyway: core.once, the services' conditional updates).
function holdButtons(buttons) {
  for (const button of buttons) {
    button.disabled = true;
    button.dataset.inFlight = "";
  }
}

function releaseButtons(root) {
  for (const button of root.querySelectorAll?.("[data-in-flight]") || []) {
    button.disabled = false;
    delete button.dataset.inFlight;
  }
}

document.addEventListener("submit", (event) => {
  if (event.defaultPrevented || !event.submitter) return;
  const button = event.submitter;
  setTimeout(() => holdButtons([button]), 0); // after the browser has read the button's name and value
});

document.addEventListener("htmx:beforeRequest", (event) => {
  const origin = event.detail.elt;
  if (origin.matches("form")) holdButtons(origin.querySelectorAll("button:not([type=button])"));
  else if (origin.matches("button")) holdButtons([origin]);
});

document.addEventListener("htmx:afterRequest", (event) => {
  const origin = event.detail.elt;
  releaseButtons(origin.matches("button") ? origin.parentElement : origin);
});

// Back to a page kept in the browser's cache: its buttons work again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) releaseButtons(document);
});

// Words this script shows, in the page's language: base.html puts them on <body> as data-said-*.
function said(name, english) {
  return document.body.dataset[`said${name[0].toUpperCase()}${name.slice(1)}`] || english;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  navigator.clipboard.writeText(button.dataset.copy).then(() => {
    button.textContent = said("copied", "Copied");
  });
});

// Refusals reach the screen (core/refusals.py). A refusal's answer (X-Refusal) goes into the open
// dialog it came from when there is one, else into the toast area; an error page that htmx would
// swap into a fragment (a 500, a proxy's 502) and a request that never reached the server become
// a toast instead.
const TOAST_AREA = "#messages";

function refusalSlot(element) {
  const dialog = element?.closest?.("dialog[open]");
  if (!dialog) return document.querySelector(TOAST_AREA);
  let slot = dialog.querySelector(".dialog-refusals");
  if (!slot) {
    slot = document.createElement("div");
    slot.className = "dialog-refusals";
    const body = dialog.querySelector("article") || dialog;
    body.insertBefore(slot, body.querySelector("header")?.nextSibling || body.firstChild);
  }
  return slot;
}

function showError(element, message) {
  const slot = refusalSlot(element);
  if (!slot) return;
  const note = document.createElement("p");
  note.className = "flash flash-error";
  note.setAttribute("role", "alert");
  note.textContent = message;
  slot.replaceChildren(note);
}

document.addEventListener("htmx:beforeSwap", (event) => {
  const { xhr, requestConfig } = event.detail;
  if (xhr.status < 400) return;
  const origin = requestConfig?.elt;
  if (xhr.getResponseHeader("X-Refusal")) {
    const dialog = origin?.closest?.("dialog[open]");
    if (dialog) event.detail.target = refusalSlot(origin);
    return;
  }
  if (/^\s*<!doctype/i.test(xhr.responseText || "")) {
    event.detail.shouldSwap = false;
    showError(origin, said("serverError", "The server could not do that (error {status}). Try again; if it keeps failing, tell your administrator.").replace("{status}", xhr.status));
  }
});

for (const name of ["htmx:sendError", "htmx:timeout"]) {
  document.addEventListener(name, (event) => {
    showError(event.detail?.elt, said("unreachable", "The server could not be reached. Check your connection and try again."));
  });
}

// A new answer replaces the toasts of the one before: messages never pile up.
document.addEventListener("htmx:beforeRequest", (event) => {
  const slot = event.detail.elt?.closest?.("dialog[open]")?.querySelector(".dialog-refusals");
  if (slot) slot.replaceChildren();
});

// The redeem form's confirm question names the amount typed and what stays: "{amount}" and
// "{left}" in its hx-confirm, from the form's data-left-minor, data-currency and data-decimals.
function redeemFigures(form) {
  const places = Number(form.dataset.decimals || 0);
  const currency = form.dataset.currency;
  const locale = document.documentElement.lang || "en-US";
  const show = (minor) => currency === "PTS"
    ? `${minor.toLocaleString(locale)} pts`
    : new Intl.NumberFormat(locale, { style: "currency", currency }).format(minor / 10 ** places);
  const typed = (form.querySelector("[name=amount]")?.value || "").trim();
  // Commas only between thousands, as the server reads amounts ("12,50" is refused there, so it is shown as typed).
  const plain = /^\d{1,3}(,\d{3})+(\.\d*)?$/.test(typed) ? typed.replaceAll(",", "") : typed;
  const match = plain.match(/^(\d*)(?:\.(\d*))?$/);
  if (!typed || !match || (match[2] || "").length > places) return { amount: typed, left: "—", valid: false };
  const minor = Number(match[1] || 0) * 10 ** places + Number((match[2] || "").padEnd(places, "0") || 0);
  const left = Number(form.dataset.leftMinor) - minor;
  return { amount: show(minor), left: left >= 0 ? show(left) : "—", valid: minor > 0 && left >= 0 };
}

// An amount the server would refuse (empty, zero, negative, more than is left) is said at the
// box, before the confirm dialog asks about it: the form's data-amount-invalid message.
function redeemAmountRefused(form, submitter) {
  if (!form.dataset.leftMinor || submitter?.name === "redeem_all") return false;
  const box = form.querySelector("[name=amount]");
  if (!box || redeemFigures(form).valid) return false;
  box.setCustomValidity(form.dataset.amountInvalid || "Type an amount greater than zero, at most what is left.");
  box.reportValidity();
  box.addEventListener("input", () => box.setCustomValidity(""), { once: true });
  return true;
}
