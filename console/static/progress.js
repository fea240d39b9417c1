// Live progress of an assessment run, from the server's event stream. Without script the page
// still works: it offers a link to reload.
(function () {
  "use strict";
  var root = document.getElementById("run");
  if (!root || !window.EventSource) { return; }
  var src = new EventSource(root.getAttribute("data-events"));
  function set(id, value) {
    var el = document.getElementById(id);
    if (el) { el.textContent = String(value); }
  }
  function show(p) {
    var c = p.counts || {};
    set("done", p.done); set("total", p.total);
    set("n-pass", c.pass || 0); set("n-fail", c.fail || 0); set("n-warn", c.warn || 0);
    set("n-skip", c.skip || 0); set("n-error", c.error || 0);
    if (p.last) { set("last", p.last); }
    var bar = document.getElementById("bar");
    if (bar && p.total > 0) { bar.max = p.total; bar.value = p.done; }
  }
  src.addEventListener("progress", function (e) { show(JSON.parse(e.data)); });
  src.addEventListener("finished", function (e) {
    var p = JSON.parse(e.data);
    show(p);
    src.close();
    set("state", p.error ? "Stopped: " + p.error : "Finished. Loading the results…");
    window.location.reload();
  });
}());
