// The launch page's countdowns (to the next reveal, to the opening, to the end of a hold) tick every second
// by the server's clock, not the device's: the page carries the server's time when it was made. While a
// reveal or the opening is still to come, the page asks the launch's timing endpoint (times only, never
// content) every 2.5–3.5 s, and at once when a countdown reaches zero; when the server's phase or next
// reveal is no longer the one the page shows, it reloads, and the server (launches/reveals.py) decides
// what appears. A hold's countdown reloads the page at zero. A countdown already at zero when the page
// loads never reloads it, so a device whose clock runs ahead cannot make the page reload in a loop.
(function () {
  "use strict";
  const pad = (n) => String(n).padStart(2, "0");
  const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
  const moment = (text) => (text ? Date.parse(text) : null);
  const launch = document.querySelector(".launch[data-timing-url]");
  const watched = document.querySelectorAll(".countdown[data-watch]");
  let skew = launch && launch.dataset.now ? moment(launch.dataset.now) - Date.now() : 0;
  let reloading = false;
  let timer = null;
  let stopped = !launch || watched.length === 0;
  const serverNow = () => Date.now() + skew;

  function reload() {
    if (reloading) return;
    reloading = true;
    window.location.reload();
  }

  function changed(timing) {
    return timing.phase !== launch.dataset.phase
      || moment(timing.next_reveal_at) !== moment(launch.dataset.nextRevealAt);
  }

  function schedule() {
    clearTimeout(timer);
    if (!stopped && !reloading) timer = setTimeout(poll, 2500 + Math.random() * 1000);
  }

  function poll() {
    if (stopped || reloading) return;
    clearTimeout(timer);
    if (document.hidden) return; // a hidden tab asks again when it is shown
    const sent = Date.now();
    fetch(launch.dataset.timingUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (response.status >= 400 && response.status < 500) stopped = true; // logged out, or gone
        return response.ok ? response.json() : null;
      })
      .then((timing) => {
        if (!timing) return;
        skew = moment(timing.now) - (sent + Date.now()) / 2;
        if (changed(timing)) reload();
      })
      .catch(() => {})
      .finally(schedule);
  }

  document.querySelectorAll(".countdown[data-at]").forEach((element) => {
    const at = moment(element.dataset.at);
    let counting = false;
    const tick = () => {
      const left = Math.max(0, Math.ceil((at - serverNow()) / 1000));
      element.textContent = fill(element.dataset.template, {
        d: Math.floor(left / 86400), h: pad(Math.floor(left / 3600) % 24),
        m: pad(Math.floor(left / 60) % 60), s: pad(left % 60),
      });
      const reachedZero = counting && left === 0;
      counting = left > 0;
      if (reachedZero && element.dataset.watch) setTimeout(poll, 250); // past the estimate's error
      if (reachedZero && element.dataset.reload) {
        setTimeout(reload, 1000);
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  });

  if (!stopped) {
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
    schedule();
  }
})();
