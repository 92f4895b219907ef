// Inside the acknowledgement card's frame: tell the embedding page (widget.js) how tall the
// card is, so the frame fits its text instead of clipping it.
(function () {
  function send() {
    var card = document.querySelector(".ack-card");  // the page's own height is at least the frame's
    var height = card ? card.getBoundingClientRect().bottom + 4 : document.body.scrollHeight;
    parent.postMessage({ gratiaWidgetHeight: Math.ceil(height) }, "*");
  }
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
})();
