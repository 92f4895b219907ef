// Inside the acknowledgement card's frame: tell the embedding page (widget.js) how tall the
// card is, so the frame fits its text instead of clipping it.
(function () {
  function send() {
    parent.postMessage({ gratiaWidgetHeight: Math.ceil(document.documentElement.scrollHeight) }, "*");
  }
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
})();
