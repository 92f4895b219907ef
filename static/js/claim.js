// The claim page shows only the chosen payout method's fields: each method's fieldset carries
// data-payout-method, and the one whose radio is checked is shown (the server renders the same).
function showChosenMethod(form) {
  const chosen = form.querySelector('input[name="payout_method"]:checked')?.value;
  form.querySelectorAll("[data-payout-method]").forEach((fieldset) => {
    const shown = fieldset.dataset.payoutMethod === chosen;
    fieldset.hidden = !shown;
    fieldset.disabled = !shown;  // hidden fields are not posted
  });
}

document.addEventListener("change", (event) => {
  if (event.target.matches('input[name="payout_method"]')) showChosenMethod(event.target.form);
});
document.querySelectorAll("form[data-payout-form]").forEach(showChosenMethod);
