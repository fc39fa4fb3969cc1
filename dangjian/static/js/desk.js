// The desk: when the requester search finds nobody, what was typed goes into the new person's
// mobile (digits) or name, unless the worker has typed something there already. The server does
// the same for a page sent without this script.
(function () {
  var carried = { name: "", phone: "" };
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "people-found") return;
    if (!event.detail.target.querySelector("[data-nobody]")) return;
    var typed = (document.getElementById("requester-q").value || "").trim();
    var compact = typed.replace(/[\s-]/g, "");
    var isNumber = /^\d+$/.test(compact);
    if (!isNumber && /\d/.test(typed)) return;
    var field = document.getElementById(isNumber ? "id_phone" : "id_new_name");
    var key = isNumber ? "phone" : "name";
    if (!field || (field.value && field.value !== carried[key])) return;
    field.value = isNumber ? compact : typed;
    carried[key] = field.value;
  });
})();
