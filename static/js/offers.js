// Provider offers: share a link, and show only the fields of the chosen delivery method.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-share-url]");
  if (!button) return;
  const url = button.dataset.shareUrl;
  const copied = () => { button.textContent = "Link copied"; };
  if (navigator.share && window.matchMedia("(pointer: coarse)").matches) {
    navigator.share({ title: button.dataset.shareTitle || document.title, url }).catch(() => {});
  } else if (navigator.clipboard) {
    navigator.clipboard.writeText(url).then(copied, () => window.prompt("Copy this link", url));
  } else {
    window.prompt("Copy this link", url);
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
