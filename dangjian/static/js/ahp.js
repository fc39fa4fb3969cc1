// The AHP workshop: the consistency ratio of one expert's comparisons as they are typed, and the
// pair furthest from what the priorities imply (the same arithmetic as evaluation/mcdm.py: the
// plan's method, principal eigenvector by power iteration or row geometric means, λmax = mean of
// (Aw)ᵢ/wᵢ, CI = (λmax − n)/(n − 1), CR = CI/RI).
(function () {
  "use strict";
  var form = document.getElementById("ahp-form");
  if (!form) return;
  var out = document.getElementById("ahp-live");
  var n = parseInt(form.dataset.n, 10);
  var ri = parseFloat(form.dataset.ri);
  var method = form.dataset.method || "eigen";
  var scale = {};
  for (var k = 1; k <= 9; k++) { scale[String(k)] = k; if (k > 1) scale["1/" + k] = 1 / k; }

  function read() {
    var a = [];
    for (var i = 0; i < n; i++) { a.push([]); for (var j = 0; j < n; j++) a[i].push(1); }
    var inputs = form.querySelectorAll("input[data-pair]");
    for (var x = 0; x < inputs.length; x++) {
      var parts = inputs[x].dataset.pair.split("_");
      var text = inputs[x].value.replace(/\s|／/g, function (c) { return c === "／" ? "/" : ""; });
      if (!(text in scale)) return null;
      var i2 = parseInt(parts[1], 10), j2 = parseInt(parts[2], 10);
      a[i2][j2] = scale[text]; a[j2][i2] = 1 / scale[text];
    }
    return a;
  }

  function eigen(a) {
    var w = [];
    for (var i = 0; i < n; i++) w.push(1 / n);
    for (var step = 0; step < 1000; step++) {
      var next = [], total = 0;
      for (var r = 0; r < n; r++) { var s = 0; for (var c = 0; c < n; c++) s += a[r][c] * w[c]; next.push(s); total += s; }
      var diff = 0;
      for (var q = 0; q < n; q++) { next[q] /= total; diff = Math.max(diff, Math.abs(next[q] - w[q])); }
      w = next;
      if (diff < 1e-12) break;
    }
    return w;
  }

  function geometric(a) {
    var w = [], total = 0;
    for (var i = 0; i < n; i++) { var p = 1; for (var j = 0; j < n; j++) p *= a[i][j]; w.push(Math.pow(p, 1 / n)); total += w[i]; }
    for (var k = 0; k < n; k++) w[k] /= total;
    return w;
  }

  function update() {
    var a = read();
    if (!a) { out.textContent = out.dataset.labelBadInput; out.className = "live-figure error"; return; }
    var w = method === "geometric" ? geometric(a) : eigen(a), lambda = 0;
    for (var i = 0; i < n; i++) { var s = 0; for (var j = 0; j < n; j++) s += a[i][j] * w[j]; lambda += s / w[i]; }
    lambda /= n;
    var ci = n > 2 ? (lambda - n) / (n - 1) : 0;
    var cr = n > 2 && ri > 0 ? ci / ri : 0;
    var text = out.dataset.labelCr + " " + cr.toFixed(3) + " · ";
    if (cr < 0.1) { out.className = "live-figure"; out.textContent = text + out.dataset.labelOk; return; }
    var worst = null, dev = -1;
    for (var r = 0; r < n; r++) for (var c = r + 1; c < n; c++) {
      var d = Math.abs(Math.log(a[r][c] * w[c] / w[r]));
      if (d > dev) { dev = d; worst = [r, c]; }
    }
    var field = form.querySelector('input[data-pair="p_' + worst[0] + "_" + worst[1] + '"]');
    var label = field ? form.querySelector('label[for="' + field.id + '"]').textContent : "";
    out.className = "live-figure error";
    out.textContent = text + out.dataset.labelBad + " " + label + " (≈ " + (w[worst[0]] / w[worst[1]]).toFixed(2) + ")";
  }

  form.addEventListener("input", update);
  update();
})();
