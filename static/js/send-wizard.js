// The study overview's Done panel: "All" ticks every participant checkbox shown. When the group
// holds more than the panel shows, a banner then offers all of them (Gmail's "select all
// conversations that match"): the form posts selection=all, and the server resolves the group.
(() => {
  const everyone = (form, on) => {
    const banner = form.querySelector("[data-select-everyone]");
    if (!banner) return;
    form.querySelector("[data-selection]").value = on ? "all" : "";
    banner.querySelector('[data-when="shown"]').hidden = on;
    banner.querySelector('[data-when="all"]').hidden = !on;
  };
  const showBanner = (form, shown) => {
    const banner = form.querySelector("[data-select-everyone]");
    if (banner) banner.hidden = !shown;
    everyone(form, false);
  };

  document.addEventListener("change", (event) => {
    const toggle = event.target.closest("[data-select-all]");
    if (toggle) {
      const form = toggle.form;
      document.querySelectorAll(`input[type=checkbox][name="${toggle.dataset.selectAll}"]`).forEach((box) => {
        if (box.form === form) box.checked = toggle.checked;
      });
      showBanner(form, toggle.checked);
      return;
    }
    const box = event.target.closest("input[type=checkbox][name=participants]");
    if (box?.form && !box.checked) { // unticking one leaves "everyone" and "all shown"
      const all = box.form.querySelector("[data-select-all]");
      if (all) all.checked = false;
      showBanner(box.form, false);
    }
  });

  document.addEventListener("click", (event) => {
    const on = event.target.closest("[data-select-everyone-on]");
    const off = event.target.closest("[data-select-everyone-off]");
    if (on) everyone(on.form, true);
    if (off) {
      const form = off.form;
      form.querySelector("[data-select-all]").checked = false;
      document.querySelectorAll("input[type=checkbox][name=participants]").forEach((box) => {
        if (box.form === form) box.checked = false;
      });
      showBanner(form, false);
    }
  });
})();

// The send wizard is a modal dialog. Each step htmx swaps in is opened with showModal(): the page
// behind is inert, Tab cycles inside it, Escape (or Cancel, Close) closes it, and focus goes back
// to what opened it (the Actions menu when the button was inside it).
(() => {
  let opener = null;
  const focusables = (dialog) => [...dialog.querySelectorAll(
    "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), iframe, summary",
  )].filter((element) => element.offsetParent !== null || element.tagName === "IFRAME");

  function restoreFocus() {
    if (!opener?.isConnected) { // the panel was reloaded after a send: its Actions menu
      document.querySelector("#done-selection summary")?.focus();
      return;
    }
    const menu = opener.closest("details");
    menu?.removeAttribute("open");
    (menu && opener !== menu.querySelector("summary") ? menu.querySelector("summary") : opener).focus();
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.target?.id === "send-wizard" && !document.querySelector("#send-wizard dialog")) {
      opener = document.activeElement;
    }
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const dialog = event.detail.target?.id === "send-wizard" && event.detail.target.querySelector("dialog[data-modal]");
    if (!dialog || dialog.open) return;
    dialog.addEventListener("close", () => {
      dialog.remove();
      restoreFocus();
    });
    dialog.showModal();
    // The field a refusal is about, else the step's first field, else its title (never the Send button).
    const field = dialog.querySelector("[aria-invalid=true]") || dialog.querySelector("input:not([type=hidden]), textarea, select");
    (field || dialog.querySelector("#send-title"))?.focus();
  });

  // Tab from the last control goes to the first, Shift+Tab from the first to the last.
  document.addEventListener("keydown", (event) => {
    const dialog = event.target.closest?.("dialog[data-modal][open]");
    if (event.key !== "Tab" || !dialog) return;
    const controls = focusables(dialog);
    if (!controls.length) return;
    const [first, last] = [controls[0], controls.at(-1)];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-close-dialog]");
    if (button) button.closest("dialog")?.close();
  });
})();
