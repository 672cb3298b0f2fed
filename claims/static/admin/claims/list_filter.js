// The claims list's video and speaker filters apply as soon as a choice is made.
(function () {
  "use strict";

  if (!window.django || !window.django.jQuery) {
    return;
  }
  window.django.jQuery(document).on("change", "select.desk-autocomplete-filter", function () {
    this.form.submit();
  });
})();
