// The reason for an absence is asked only of members not ticked present.
(function () {
  "use strict";

  function showReason(checkbox) {
    var row = checkbox.closest("[data-attendance-row]");
    var reason = row && row.querySelector("[data-attendance-reason]");
    if (reason) {
      reason.hidden = checkbox.checked;
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-attendance=present]")) {
      showReason(event.target);
    }
  });
  document.querySelectorAll("[data-attendance=present]").forEach(showReason);
})();
