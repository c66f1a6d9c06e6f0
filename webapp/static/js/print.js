// A "print" button for the monthly review: the browser's own print dialog (A4 from print CSS).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
