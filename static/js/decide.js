// The quota meter and each subject's broken rules follow the levels chosen,
// before anything is saved; the server checks everything again on saving.
(function () {
  "use strict";

  var box = document.querySelector("[data-quota-meter]");
  if (!box) {
    return;
  }
  var GOOD = box.dataset.good;
  var EXCELLENT = box.dataset.excellent;
  var selects = document.querySelectorAll("select[data-quota-level]");

  function codes(select) {
    return Array.prototype.map
      .call(select.options, function (option) {
        return option.value;
      })
      .filter(Boolean);
  }

  function setText(selector, value) {
    box.querySelectorAll(selector).forEach(function (element) {
      element.textContent = String(value);
    });
  }

  function showCaps(select) {
    var row = select.closest("[data-rating-row]");
    var order = codes(select);
    var chosen = order.indexOf(select.value);
    row.querySelectorAll("[data-cap]").forEach(function (cap) {
      var highest = order.indexOf(cap.dataset.capHighest);
      cap.hidden = !(chosen >= 0 && chosen < highest);
    });
  }

  function count() {
    var good = Number(box.dataset.baseGood);
    var excellent = Number(box.dataset.baseExcellent);
    selects.forEach(function (select) {
      if (select.value === GOOD) {
        good += 1;
      } else if (select.value === EXCELLENT) {
        excellent += 1;
      }
    });
    // The percentage comes in hundredths, so the rounding down stays exact.
    var allowed = Math.floor((good * Number(box.dataset.percent)) / 10000);
    var over = excellent > allowed;
    var bar = box.querySelector("[data-meter-bar]");
    bar.max = Math.max(allowed, excellent, 1);
    bar.low = allowed;
    bar.high = allowed;
    bar.value = excellent;
    bar.textContent = excellent + " / " + allowed;
    setText("[data-meter-allowed]", allowed);
    setText("[data-meter-good]", good);
    setText("[data-meter-used]", excellent);
    box.querySelector("[data-meter-over]").hidden = !over;
    box.querySelector("[data-meter-within]").hidden = over;
    selects.forEach(function (select) {
      var warning = select
        .closest("[data-rating-row]")
        .querySelector("[data-quota-row-warning]");
      if (warning) {
        warning.hidden = !(over && select.value === EXCELLENT);
      }
    });
  }

  document.addEventListener("change", function (event) {
    if (!event.target.matches("select[data-quota-level]")) {
      return;
    }
    // The rule's reason was counted on the server; the meter now speaks.
    box.querySelectorAll("[data-quota-reason]").forEach(function (reason) {
      reason.hidden = true;
    });
    showCaps(event.target);
    count();
  });
})();
