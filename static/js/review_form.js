// The review form: live totals of the self-score table (QĐ 366; the server computes
// the totals it stores) and Save/Submit held back while an autosave is in flight.
(function () {
  "use strict";

  function points(input) {
    var value = parseFloat(String(input.value).replace(",", "."));
    return isNaN(value) ? 0 : value;
  }

  function format(value) {
    var language = document.documentElement.lang || undefined;
    return value.toLocaleString(language, { maximumFractionDigits: 2 });
  }

  function updateTotals(form) {
    var totals = { all: 0 };
    form.querySelectorAll("[data-score-group]").forEach(function (input) {
      var group = input.dataset.scoreGroup;
      totals[group] = (totals[group] || 0) + points(input);
      totals.all += points(input);
    });
    form.querySelectorAll("output[data-score-total]").forEach(function (output) {
      output.value = format(totals[output.dataset.scoreTotal] || 0);
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-score-group]") && event.target.form) {
      updateTotals(event.target.form);
    }
  });

  // Leaving a field for the Save or Submit button also autosaves it; send the
  // button's request after that one, with the version the autosave returned.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("#review-form") || !form.querySelector(".htmx-request")) {
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    form.addEventListener(
      "htmx:afterRequest",
      function () {
        window.setTimeout(function () {
          form.requestSubmit(submitter);
        }, 0);
      },
      { once: true }
    );
  });
})();
