// Quick phrases (常用语): a tap on a phrase inserts it into its field (at the cursor, or after
// what is there, joined by the page's joiner); the text stays editable. A field whose phrases
// depend on a choice (the service) redraws them from a JSON menu when the choice changes.
(function () {
  function insert(field, phrase, joiner, prefix) {
    var value = field.value;
    if (prefix) {  // the start of the text (an estate): what was typed after it stays
      if (value.indexOf(phrase) !== 0) field.value = phrase + value;
      field.focus();
      field.setSelectionRange(field.value.length, field.value.length);
      field.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    var start = field.selectionStart, end = field.selectionEnd;
    var atCursor = document.activeElement === field && typeof start === "number";
    if (!value.trim()) {
      field.value = phrase;
    } else if (atCursor && end < value.length) {
      field.value = value.slice(0, start) + phrase + value.slice(end);
    } else {
      var trimmed = value.replace(/\s+$/, "");
      var ends = /[。，；！？、,.;!?\s]$/.test(trimmed);
      field.value = trimmed + (ends ? "" : joiner) + phrase;
    }
    field.focus();
    var caret = field.value.length;
    if (atCursor && end < value.length) caret = start + phrase.length;
    field.setSelectionRange(caret, caret);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function chip(text, recent) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = recent ? "chip recent" : "chip";
    button.setAttribute("data-phrase", text);
    button.textContent = text;
    return button;
  }

  function label(text) {
    var span = document.createElement("span");
    span.className = "phrases-label";
    span.textContent = text;
    return span;
  }

  function redraw(box, menu, select) {
    var offer = menu[select.value];
    box.textContent = "";
    if (!offer || (!offer.common.length && !offer.recent.length)) {
      if (!select.value) box.appendChild(label(box.getAttribute("data-empty-label")));
      return;
    }
    if (offer.common.length) box.appendChild(label(box.getAttribute("data-common-label")));
    offer.common.forEach(function (text) { box.appendChild(chip(text, false)); });
    if (offer.recent.length) box.appendChild(label(box.getAttribute("data-recent-label")));
    offer.recent.forEach(function (text) { box.appendChild(chip(text, true)); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".phrases[data-phrases-for]").forEach(function (box) {
      var menuId = box.getAttribute("data-phrases-menu");
      if (menuId) {
        var source = document.getElementById(menuId);
        var select = document.getElementById(box.getAttribute("data-phrases-select"));
        if (!source || !select) return;
        var menu = JSON.parse(source.textContent);
        redraw(box, menu, select);
        select.addEventListener("change", function () { redraw(box, menu, select); });
      }
      box.hidden = false;
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".phrases button[data-phrase]") : null;
    if (!button) return;
    var box = button.closest(".phrases");
    var field = document.getElementById(box.getAttribute("data-phrases-for"));
    if (field) insert(field, button.getAttribute("data-phrase"), box.getAttribute("data-joiner") || "; ", box.hasAttribute("data-prefix"));
  });
})();
