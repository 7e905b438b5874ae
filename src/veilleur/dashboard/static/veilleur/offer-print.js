// The offer sheet's "Print" button: shown only where scripts run (the page prints without it too).
const printButton = document.getElementById("print-offer");
if (printButton) {
  printButton.hidden = false;
  printButton.addEventListener("click", () => window.print());
}
