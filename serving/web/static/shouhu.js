// 守护 Shouhu — the only script of the pages, loaded from the service itself: the Content-Security-Policy
// allows no inline script, so the list filters submit on change from here (data-autosubmit), not onchange="".
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field && field.matches && field.matches("select[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
