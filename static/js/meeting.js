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

  // The quorum as ticked, before it is saved: the rule of
  // reviews/rules/meeting.py quorum_reached (the share present, to the
  // hundredth of a percent, at least the quorum: 6 of 9 meet 66.67%).
  function showQuorum() {
    var line = document.querySelector("[data-quorum-live]");
    if (!line) {
      return;
    }
    var present = document.querySelectorAll("[data-attendance=present]:checked").length;
    var called = Number(line.dataset.called);
    var reached = called > 0 &&
      Math.round(present * 10000 / called) >= Math.round(Number(line.dataset.percent) * 100);
    var text = reached ? line.dataset.reached : line.dataset.short;
    line.textContent = text.replace("{present}", present).replace("{called}", called);
    line.classList.toggle("text-success", reached);
    line.classList.toggle("text-danger", !reached);
    line.hidden = present === Number(line.dataset.saved);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-attendance=present]")) {
      showReason(event.target);
      showQuorum();
    }
  });
  document.querySelectorAll("[data-attendance=present]").forEach(showReason);
  showQuorum();
})();
