// Organization pickers: each <select data-searchable> (organizations/widgets.py)
// becomes a search box with Tom Select (static/vendor/tom-select, from npm).
// Accents are optional: every option carries its text folded on the server
// (data-search, kontum_review/vietnamese.py), and the query is folded here the
// same way, so "quyet thang" finds "Quyết Thắng" and "dak" finds "Đắk". Without
// JavaScript, or if Tom Select fails to load, the plain select still works.
(function () {
  "use strict";

  // A shorter list is quicker to pick from as it is, and a phone shows its own.
  var MIN_OPTIONS = 10;

  // kontum_review.vietnamese.fold: lower case, đ as d, no accents, single spaces.
  function fold(text) {
    return text
      .toLowerCase()
      .replace(/đ/g, "d")
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .split(/\s+/)
      .filter(Boolean)
      .join(" ");
  }

  // Every typed word must appear in the option's folded text (its name, code
  // and parent). The typed words in a row in the option's own name come first,
  // then in a row anywhere, then the rest; ties keep the tree's order.
  function score(query) {
    var phrase = fold(query);
    var words = phrase.split(" ").filter(Boolean);
    return function (option) {
      var text = option.search || fold(String(option.text || ""));
      for (var i = 0; i < words.length; i += 1) {
        if (text.indexOf(words[i]) === -1) {
          return 0;
        }
      }
      if (option.own === undefined) {
        option.own = fold(String(option.text || ""));
      }
      if (option.own.indexOf(phrase) !== -1) {
        return 3;
      }
      return text.indexOf(phrase) !== -1 ? 2 : 1;
    };
  }

  function parentHtml(data, escape) {
    return data.parent
      ? ' <span class="ts-parent">– ' + escape(data.parent) + "</span>"
      : "";
  }

  function enhance(select) {
    var multiple = select.multiple;
    var data = select.dataset;
    var settings = {
      maxOptions: null,
      // Tom Select leaves out an option without a value unless told: the
      // "— not an organization —" choice must stay choosable.
      allowEmptyOption: true,
      searchField: ["search"],
      score: score,
      render: {
        option: function (option, escape) {
          return "<div>" + escape(option.text) + parentHtml(option, escape) + "</div>";
        },
        item: function (option, escape) {
          // The chosen organization without the tree's depth dashes.
          var text = option.value ? option.text.replace(/^(— )+/, "") : option.text;
          // One span: Tom Select lays an item's children out side by side.
          return (
            "<div><span>" + escape(text) + parentHtml(option, escape) + "</span></div>"
          );
        },
        no_results: function () {
          var empty = document.createElement("div");
          empty.className = "no-results";
          empty.textContent = data.searchableEmpty || "";
          return empty;
        },
      },
    };
    if (multiple) {
      settings.plugins = {
        remove_button: {
          title: data.searchableRemove || "",
          html: function (options) {
            var button = document.createElement("div");
            button.className = options.className;
            button.title = options.title;
            button.setAttribute("role", "button");
            button.setAttribute("aria-label", options.title);
            button.tabIndex = -1;
            button.textContent = "×";
            return button;
          },
        },
      };
    }
    var describedBy = select.getAttribute("aria-describedby");
    var picker = new window.TomSelect(select, settings);
    // Tom Select moves the label onto its own input; the help text and the
    // error state go with it. The select it hides (out of the tab order) then
    // has no label, and leaves the accessibility tree too: one field, one name.
    select.setAttribute("aria-hidden", "true");
    var input = picker.control_input;
    if (describedBy) {
      input.setAttribute("aria-describedby", describedBy);
    }
    if (select.getAttribute("aria-invalid")) {
      input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
    }
    // While a search is typed it stands in for the chosen item; leaving the
    // box drops an unfinished search, so what shows is what is submitted.
    function typing() {
      picker.wrapper.classList.toggle("ts-typing", input.value !== "");
    }
    picker.on("type", typing);
    picker.on("item_add", function () {
      typing();
      // Several can be chosen: the search stays for the next match, selected
      // so that typing starts a new one.
      if (multiple && input.value) {
        input.select();
      }
    });
    picker.on("blur", function () {
      picker.setTextboxValue("");
      typing();
    });
    var help = data.searchableHelp && document.getElementById(select.id + "_helptext");
    if (help) {
      help.textContent = data.searchableHelp;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.TomSelect) {
      return;
    }
    document.querySelectorAll("select[data-searchable]").forEach(function (select) {
      if (select.options.length >= MIN_OPTIONS) {
        enhance(select);
      }
    });
  });
})();
