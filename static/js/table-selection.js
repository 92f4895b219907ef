// Row selection for tables inside a form marked [data-selection-form] (the Recipients table):
// a header box for the page, shift-click for a range, "select all matching" across pages
// (the server re-runs the filter; unticked rows are sent as `excluded`), and the bulk bar's
// count kept in sync. Listeners sit on the document, so tables swapped in by htmx just work.
(() => {
  const lastClicked = new WeakMap();
  // Words come from Django's JavaScript catalogue (/jsi18n/, loaded by base.html): gettext & co.
  const selectedNote = (count) => interpolate(gettext("%(count)s (selected)"), { count: count.toLocaleString() }, true);

  const rows = (form) => [...form.querySelectorAll("[data-select-row]")];
  const allMatching = (form) => form.querySelector("[data-all-matching]").value === "1";
  const excludedField = (form) => form.querySelector("[data-excluded]");
  const excluded = (form) => new Set(excludedField(form).value.split(",").filter(Boolean));

  function setExcluded(form, ids) {
    excludedField(form).value = [...ids].join(",");
  }

  function setAllMatching(form, on) {
    form.querySelector("[data-all-matching]").value = on ? "1" : "0";
    if (!on) {
      setExcluded(form, []);
      const count = form.querySelector("#matching-count");
      if (count) count.textContent = "";
    }
  }

  function matchingCount(form) {
    const element = form.querySelector("[data-matching-count]");
    return element && element.dataset.matchingCount !== "" ? Number(element.dataset.matchingCount) : null;
  }

  // What resend and cancel would act on (unclaimed rows of studies the person manages) and the
  // money per budget, for the confirm dialogs' {actionable} and {summary}: from the ticked rows,
  // or from the server's answer for "all matching".
  const money = (minor, currency) => {
    const format = new Intl.NumberFormat("en-US", { style: "currency", currency });
    const places = format.resolvedOptions().maximumFractionDigits;
    return format.format(minor / 10 ** places);
  };

  function summary(form) {
    if (allMatching(form)) {
      const element = form.querySelector("[data-matching-count]");
      const returns = element?.dataset.matchingReturns ? JSON.parse(element.dataset.matchingReturns) : [];
      const actionable = Number(element?.dataset.matchingActionable || 0);
      return { actionable, returns: returns.map(([budget, amount]) => `${amount} from ${budget}`) };
    }
    const byBudget = new Map();
    let actionable = 0;
    for (const box of rows(form).filter((box) => box.checked && box.dataset.actionable === "1")) {
      actionable += 1;
      const key = `${box.dataset.budget}\u0000${box.dataset.currency}`;
      byBudget.set(key, (byBudget.get(key) || 0) + Number(box.dataset.amountMinor));
    }
    const returns = [...byBudget].map(([key, minor]) => {
      const [budget, currency] = key.split("\u0000");
      return interpolate(gettext("%(amount)s from %(budget)s"), { amount: money(minor, currency), budget }, true);
    });
    return { actionable, returns };
  }

  function describe(form) {
    const { actionable, returns } = summary(form);
    const values = {
      actionable: String(actionable),
      summary: actionable === 0
        ? gettext("None of them is an unclaimed incentive of a study you manage: nothing would change.")
        : interpolate(ngettext("%(count)s is unclaimed: %(returns)s.", "%(count)s are unclaimed: %(returns)s.", actionable),
          { count: actionable, returns: returns.join(", ") }, true),
    };
    for (const [name, text] of Object.entries(values)) {
      const element = form.querySelector(`[data-confirm-value="${name}"]`);
      if (element) element.textContent = text;
    }
  }

  function update(form) {
    const boxes = rows(form);
    const ticked = boxes.filter((box) => box.checked).length;
    let count = ticked;
    let label = String(ticked);
    if (allMatching(form)) {
      const total = matchingCount(form);
      count = total === null ? Infinity : total - excluded(form).size;
      label = total === null ? gettext("All matching") : count.toLocaleString();
    }
    form.querySelector("[data-selected-count]").textContent = label;
    const header = form.querySelector("[data-select-page]");
    if (header) {
      header.checked = boxes.length > 0 && ticked === boxes.length;
      header.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    const banner = form.querySelector("[data-select-all-banner]");
    if (banner) {
      banner.hidden = !(allMatching(form) || (boxes.length > 0 && ticked === boxes.length));
      banner.querySelectorAll("[data-page-note], [data-select-all-matching]").forEach((element) => {
        element.hidden = allMatching(form);
      });
    }
    form.querySelectorAll("[data-needs-selection]").forEach((button) => {
      button.disabled = count === 0;
    });
    const exportButton = form.querySelector("[data-export]");
    if (exportButton) exportButton.textContent = count === 0 ? gettext("Export CSV (all matching)") : gettext("Export CSV (selected)");
    describe(form);
  }

  function tick(form, box, checked) {
    box.checked = checked;
    if (!allMatching(form)) return;
    const ids = excluded(form);
    if (checked) ids.delete(box.value);
    else ids.add(box.value);
    setExcluded(form, ids);
  }

  document.addEventListener("click", (event) => {
    const form = event.target.closest("[data-selection-form]");
    if (!form) return;
    const box = event.target.closest("[data-select-row]");
    if (box) {
      const boxes = rows(form);
      const previous = lastClicked.get(form);
      if (event.shiftKey && previous && boxes.includes(previous)) {
        const [from, to] = [boxes.indexOf(previous), boxes.indexOf(box)].sort((a, b) => a - b);
        boxes.slice(from, to + 1).forEach((other) => tick(form, other, box.checked));
      } else {
        tick(form, box, box.checked);
      }
      lastClicked.set(form, box);
      update(form);
    } else if (event.target.closest("[data-select-page]")) {
      const checked = event.target.checked;
      if (!checked) setAllMatching(form, false);
      rows(form).forEach((other) => tick(form, other, checked));
      update(form);
    } else if (event.target.closest("[data-select-all-matching]")) {
      setAllMatching(form, true);
      rows(form).forEach((other) => { other.checked = true; });
      update(form);
    } else if (event.target.closest("[data-clear-selection]")) {
      setAllMatching(form, false);
      rows(form).forEach((other) => { other.checked = false; });
      update(form);
    }
  });

  // Ticked rows and the focused control survive a swap of the results (a search that arrives
  // just after a click): the same rows are ticked again if the new table still shows them.
  let kept = null;
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target?.id !== "results") return;
    const form = event.detail.target.querySelector("[data-selection-form]");
    if (!form || allMatching(form)) { kept = null; return; }
    kept = { ticked: new Set(rows(form).filter((box) => box.checked).map((box) => box.value)),
             focused: event.detail.target.contains(document.activeElement) ? document.activeElement.id : null };
  });

  // The matching count and new results arrive by htmx; recount when they do. (After an outerHTML
  // swap the event's target is the old, detached #results: look the forms up again.)
  document.addEventListener("htmx:afterSwap", (event) => {
    const forms = document.querySelectorAll("[data-selection-form]");
    if (kept && event.detail.target?.id === "results") {
      forms.forEach((form) => rows(form).forEach((box) => { if (kept.ticked.has(box.value)) box.checked = true; }));
      if (kept.focused) document.getElementById(kept.focused)?.focus();
      kept = null;
    }
    forms.forEach(update);
    const exportCount = event.detail.target?.id === "export-count" && event.detail.target.querySelector("[data-export-count]");
    if (exportCount) {
      const total = exportCount.dataset.exportCount;
      document.querySelector("[data-export-rows]").textContent = total === "" ? gettext("The filters are not valid.") : interpolate(gettext("%(count)s (everything the filters match)"), { count: Number(total).toLocaleString() }, true);
    }
  });

  // Export opens a pop-up: the rows it will write, the columns, and a file name to change.
  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open-export]");
    const form = event.target.closest("[data-selection-form]");
    if (opener && form) {
      const dialog = form.querySelector("#export-dialog");
      const rowsNote = dialog.querySelector("[data-export-rows]");
      const ticked = rows(form).filter((box) => box.checked).length;
      if (allMatching(form)) {
        const total = matchingCount(form);
        rowsNote.textContent = total === null ? gettext("All matching") : selectedNote(total - excluded(form).size);
      } else if (ticked > 0) {
        rowsNote.textContent = selectedNote(ticked);
      } else {
        rowsNote.textContent = gettext("Counting…");
        htmx.trigger(opener, "export-all");
      }
      dialog.showModal();
      const name = dialog.querySelector("#export-filename");
      name.focus();
      name.select();
    } else if (event.target.closest("[data-close-export]")) {
      event.target.closest("dialog").close();
    }
  });

  // The download starts and the page stays: close the pop-up and let its button work again.
  document.addEventListener("submit", (event) => {
    if (!event.submitter?.matches("[data-export-download]") || event.defaultPrevented) return;
    const dialog = event.submitter.closest("dialog");
    setTimeout(() => {
      dialog.close();
      releaseButtons(dialog);
    }, 300);
  });

  // Filter URLs stay short enough to read and bookmark: empty filters are left out. A "sent"
  // option whose dates are not all chosen yet waits for them (no error before anyone typed);
  // an explicit submit (Enter in the search box: a "search" event) asks the server, which names
  // the missing field.
  const SENT_DATES = { before: ["sent_date"], after: ["sent_date"], between: ["sent_from", "sent_to"] };
  document.addEventListener("htmx:configRequest", (event) => {
    if (!event.detail.elt.matches("#recipient-filters")) return;
    const params = event.detail.parameters;
    const waiting = (SENT_DATES[params.sent] || []).some((name) => !params[name]);
    if (waiting && !["submit", "search"].includes(event.detail.triggeringEvent?.type)) {
      event.preventDefault();
      return;
    }
    for (const [name, value] of Object.entries(params)) {
      if (value === "") delete params[name];
    }
  });

  // The "sent" filter shows only the date inputs its option uses.
  function showSentDates(select) {
    select.form.querySelectorAll("[data-when-sent]").forEach((label) => {
      label.hidden = !label.dataset.whenSent.split(" ").includes(select.value);
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches("select[name=sent]")) showSentDates(event.target);
  });
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("select[name=sent]").forEach(showSentDates);
    document.querySelectorAll("[data-selection-form]").forEach(update);
  });
})();
