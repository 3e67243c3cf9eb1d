// The admin's autocomplete boxes (select2) are named by their field's label:
// select2 names its box by the selected text only, so an empty box has no name.
(function () {
  "use strict";

  function labelAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var box = select.parentElement.querySelector(".select2-selection[role=combobox]");
      if (!label || !box) {
        return;
      }
      if (!label.id) {
        label.id = select.id + "-label";
      }
      var rendered = box.querySelector(".select2-selection__rendered");
      box.setAttribute("aria-labelledby", label.id + (rendered ? " " + rendered.id : ""));
      if (rendered) {
        // select2 makes the selected text a read-only textbox of its own.
        rendered.setAttribute("aria-labelledby", label.id + " " + rendered.id);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // After Django's own ready handlers have turned the selects into boxes.
    window.setTimeout(function () { labelAutocompletes(document); }, 0);
  });
  document.addEventListener("formset:added", function (event) {
    window.setTimeout(function () { labelAutocompletes(event.target); }, 0);
  });
})();
