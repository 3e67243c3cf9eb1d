// Names for the admin's controls that Django leaves unnamed:
// - the autocomplete boxes (select2), named by their selected text only, so an
//   empty box has no name: they take their field's label;
// - the inputs of tabular inlines, which sit under a column header with no
//   label of their own: they take the header's text;
// - the tabular inlines that scroll sideways on a phone: a focusable region,
//   named by their heading, so the keyboard reaches what is off screen.
(function () {
  "use strict";

  function columnHeader(cell) {
    var name = Array.prototype.find.call(cell.classList, function (cls) {
      return cls.indexOf("field-") === 0;
    });
    var table = cell.closest("table");
    if (!table) {
      return "";
    }
    // The last column, "Delete?", has no field name.
    var header = cell.classList.contains("delete")
      ? table.querySelector("thead th:last-child")
      : name && table.querySelector("thead th.column-" + name.slice(6));
    return header ? header.textContent.trim() : "";
  }

  function nameSelect2(select, labelId, text) {
    var box = select.parentElement.querySelector(".select2-selection[role=combobox]");
    if (!box) {
      return;
    }
    var rendered = box.querySelector(".select2-selection__rendered");
    [box, rendered].forEach(function (element) {
      if (!element) {
        return;
      }
      if (labelId) {
        element.setAttribute("aria-labelledby", labelId + (rendered ? " " + rendered.id : ""));
      } else {
        element.setAttribute("aria-label", text);
      }
    });
  }

  function label(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      if (label) {
        if (!label.id) {
          label.id = select.id + "-label";
        }
        nameSelect2(select, label.id);
        return;
      }
      var cell = select.closest("td");
      if (cell) {
        nameSelect2(select, null, columnHeader(cell));
      }
    });
    root.querySelectorAll(".tabular td input, .tabular td select, .tabular td textarea").forEach(function (control) {
      if (control.type === "hidden" || control.labels.length || control.hasAttribute("aria-label")) {
        return;
      }
      var text = columnHeader(control.closest("td"));
      if (text) {
        control.setAttribute("aria-label", text);
      }
    });
    root.querySelectorAll(".inline-group").forEach(function (group) {
      var heading = group.querySelector(".inline-heading");
      if (group.querySelector(".tabular") && heading && !group.hasAttribute("tabindex")) {
        group.setAttribute("tabindex", "0");
        group.setAttribute("role", "region");
        group.setAttribute("aria-labelledby", heading.id);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // After Django's own ready handlers have turned the selects into boxes.
    window.setTimeout(function () { label(document); }, 0);
  });
  document.addEventListener("formset:added", function (event) {
    window.setTimeout(function () { label(event.target); }, 0);
  });
})();
