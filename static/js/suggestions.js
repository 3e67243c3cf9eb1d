// Suggestion pages: add a formset row, tick or untick groups of checkboxes.
// Buttons are hidden in the markup and shown here, so without JavaScript the
// pages offer only what works without it.
(function () {
  "use strict";

  function addItem(button) {
    var prefix = button.dataset.addItem;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById("item-template");
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    document.getElementById("item-forms").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = document.getElementById("item-forms").lastElementChild;
    var first = added && added.querySelector("select, textarea");
    if (first) {
      first.focus();
    }
  }

  function tick(button) {
    var scope = document.getElementById(button.dataset.tickScope);
    var checked = button.dataset.tick === "all";
    scope.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      box.checked = checked;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-add-item], [data-tick]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (button.dataset.addItem) {
          addItem(button);
        } else {
          tick(button);
        }
      });
    });
  });
})();
