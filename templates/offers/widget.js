// Gratia acknowledgement widget: puts the acknowledgement card's iframe where this script stands.
(function () {
  var script = document.currentScript;
  var frame = document.createElement("iframe");
  frame.src = "{{ frame_url|escapejs }}";
  frame.title = "Acknowledgement";
  frame.width = "360";
  frame.height = "140";
  frame.loading = "lazy";
  frame.setAttribute("frameborder", "0");
  frame.className = "gratia-acknowledgement";
  if (script && script.parentNode) {
    script.parentNode.insertBefore(frame, script.nextSibling);
  } else {
    document.body.appendChild(frame);
  }
})();
