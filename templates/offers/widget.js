{% load i18n %}// Gratia acknowledgement widget: puts the acknowledgement card's iframe where this script stands.
(function () {
  var script = document.currentScript;
  var frame = document.createElement("iframe");
  frame.src = "{{ frame_url|escapejs }}";
  {% translate "Acknowledgement" as frame_title %}frame.title = "{{ frame_title|escapejs }}";
  frame.width = "360";
  frame.height = "140";
  frame.loading = "lazy";
  frame.setAttribute("frameborder", "0");
  frame.className = "gratia-acknowledgement";
  // The card says how tall it is (static/js/widget-frame.js); only its own frame is listened to.
  var origin = new URL(frame.src, document.baseURI).origin;
  window.addEventListener("message", function (event) {
    var height = event.data && event.data.gratiaWidgetHeight;
    if (event.source !== frame.contentWindow || event.origin !== origin || typeof height !== "number") return;
    frame.height = String(Math.min(Math.max(Math.ceil(height), 60), 2000));
  });
  if (script && script.parentNode) {
    script.parentNode.insertBefore(frame, script.nextSibling);
  } else {
    document.body.appendChild(frame);
  }
})();
