// After a failed submit: move focus to the error summary (so keyboard and screen-reader users start
// there) and say so in the page title. The page works without this; it only helps.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (!summary) return;
  var prefix = summary.getAttribute("data-title-prefix");
  if (prefix && document.title.indexOf(prefix) !== 0) document.title = prefix + "：" + document.title;
  summary.focus();
});
