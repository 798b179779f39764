// 守护 Shouhu — the only script of the pages, loaded from the service itself: the Content-Security-Policy
// allows no inline script, so the list filters submit on change from here (data-autosubmit), not onchange="".
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field && field.matches && field.matches("select[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
// the print page's 打印 button (data-print): the browser's own print dialog
document.addEventListener("click", function (event) {
  var button = event.target && event.target.closest ? event.target.closest("[data-print]") : null;
  if (button) {
    window.print();
  }
});
