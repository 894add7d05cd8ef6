// Checks the 18-digit 身份证号 as it is typed: check digit (GB 11643), birth date, age on
// 31 August of the entry year for the entry grade. The server checks again on submit.
(function () {
  var W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var C = "10X98765432";
  var AGE = { primary: [6, 8], junior: [11, 15] };
  function check(id, year, stage) {
    id = id.trim().toUpperCase();
    if (id.length !== 18 || !/^\d{17}[\dX]$/.test(id)) return ["bad", "身份证号应为18位 / 18 characters"];
    var s = 0;
    for (var i = 0; i < 17; i++) s += parseInt(id[i], 10) * W[i];
    if (C[s % 11] !== id[17]) return ["bad", "校验码不对，请核对每一位 / wrong check digit"];
    var y = +id.slice(6, 10), m = +id.slice(10, 12), d = +id.slice(12, 14);
    var born = new Date(y, m - 1, d);
    if (born.getFullYear() !== y || born.getMonth() !== m - 1 || born.getDate() !== d)
      return ["bad", "出生日期不存在 / no such birth date"];
    var age = year - y - ((8 < m || (m === 8 && 31 < d)) ? 1 : 0);
    var r = AGE[stage] || [0, 99];
    if (age < r[0] || age > r[1])
      return ["bad", "到" + year + "年8月31日为" + age + "周岁，不在入学年龄（" + r[0] + "–" + r[1] + "周岁）内"];
    return ["ok", "出生日期 " + id.slice(6, 10) + "-" + id.slice(10, 12) + "-" + id.slice(12, 14) + "，" + age + "周岁 ✓"];
  }
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("resident_id");
    var out = document.getElementById("resident_id_check");
    if (!input || !out) return;
    var year = +input.dataset.year, stage = input.dataset.stage;
    input.addEventListener("input", function () {
      if (!input.value) { out.textContent = ""; return; }
      var r = check(input.value, year, stage);
      out.className = r[0];
      out.textContent = r[1];
    });
  });
})();
