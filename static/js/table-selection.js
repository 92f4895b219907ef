// Row selection for tables inside a form marked [data-selection-form] (the Recipients table):
// a header box for the page, shift-click for a range, "select all matching" across pages
// (the server re-runs the filter; unticked rows are sent as `excluded`), and the bulk bar's
// count kept in sync. Listeners sit on the document, so tables swapped in by htmx just work.
(() => {
  const lastClicked = new WeakMap();

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

  function update(form) {
    const boxes = rows(form);
    const ticked = boxes.filter((box) => box.checked).length;
    let count = ticked;
    let label = String(ticked);
    if (allMatching(form)) {
      const total = matchingCount(form);
      count = total === null ? Infinity : total - excluded(form).size;
      label = total === null ? "All matching" : count.toLocaleString();
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
    if (exportButton) exportButton.textContent = count === 0 ? "Export CSV (all matching)" : "Export CSV (selected)";
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

  // The matching count arrives by htmx; recount when it does.
  document.addEventListener("htmx:afterSwap", (event) => {
    const form = event.target.closest("[data-selection-form]");
    if (form) update(form);
  });

  // Filter URLs stay short enough to read and bookmark: empty filters are left out.
  document.addEventListener("htmx:configRequest", (event) => {
    if (!event.detail.elt.matches("#recipient-filters")) return;
    for (const [name, value] of Object.entries(event.detail.parameters)) {
      if (value === "") delete event.detail.parameters[name];
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
