// The launch page's countdowns (to the next reveal, to the opening): tick every second; when one reaches
// zero the page reloads, so what the server now reveals appears without the member doing anything.
(function () {
  const pad = (n) => String(n).padStart(2, "0");
  const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
  document.querySelectorAll(".countdown[data-at]").forEach((element) => {
    const at = Date.parse(element.dataset.at);
    const tick = () => {
      const left = Math.max(0, Math.ceil((at - Date.now()) / 1000));
      element.textContent = fill(element.dataset.template, {
        d: Math.floor(left / 86400), h: pad(Math.floor(left / 3600) % 24),
        m: pad(Math.floor(left / 60) % 60), s: pad(left % 60),
      });
      if (left === 0) {
        if (element.dataset.reload) setTimeout(() => window.location.reload(), 1000);
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  });
})();
