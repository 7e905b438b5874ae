// Day bars: one tab stop per component; arrow keys, Home and End move between days, and the
// focused day shows its tooltip. A tap on a phone focuses the day, which shows it too.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".bars").forEach(function (strip) {
    function visibleBars() {
      return Array.prototype.filter.call(strip.querySelectorAll(".bar"), function (bar) {
        return bar.offsetParent !== null;
      });
    }
    function focusBar(bar) {
      strip.querySelectorAll(".bar").forEach(function (other) { other.tabIndex = -1; });
      bar.tabIndex = 0;
      bar.focus();
    }
    strip.addEventListener("keydown", function (event) {
      var bars = visibleBars();
      var index = bars.indexOf(document.activeElement);
      if (index < 0) { return; }
      var next = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: bars.length - 1 }[event.key];
      if (next === undefined) { return; }
      event.preventDefault();
      focusBar(bars[Math.max(0, Math.min(bars.length - 1, next))]);
    });
    strip.addEventListener("click", function (event) {
      var bar = event.target.closest(".bar");
      if (bar) { focusBar(bar); }
    });
    // A tooltip opens above its bar, or below it when the window's top edge would cut it off.
    // Measured again after a frame, once focusing has scrolled the bar into view.
    function placeTip(event) {
      var bar = event.target.closest(".bar");
      if (!bar) { return; }
      var place = function () {
        bar.classList.remove("tip-below");
        if (bar.querySelector(".tip").getBoundingClientRect().top < 0) { bar.classList.add("tip-below"); }
      };
      place();
      window.requestAnimationFrame(place);
    }
    strip.addEventListener("focusin", placeTip);
    strip.addEventListener("mouseover", placeTip);
    // On a narrower window older days are hidden; the strip's tab stop must not be one of them,
    // or Tab would skip the whole strip.
    window.addEventListener("resize", function () {
      var bars = visibleBars();
      var stop = strip.querySelector('.bar[tabindex="0"]');
      if (bars.length && bars.indexOf(stop) < 0) {
        if (stop) { stop.tabIndex = -1; }
        bars[bars.length - 1].tabIndex = 0;
      }
    });
  });
});
