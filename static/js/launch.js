// The launch page's buy box, live: while the launch is open it asks the stock endpoint every 1.5 s, so
// "Sold out" (and the waitlist) shows on every open page within 2 s of the last unit going — and the
// Reserve button comes back if units do. Without this file the page shows the stock as of loading.
(function () {
  "use strict";
  const box = document.querySelector(".drop[data-stock-url]");
  if (!box || box.dataset.open !== "true") return;
  const part = (name) => box.querySelector('[data-drop="' + name + '"]');
  function show(stock) {
    const soldOut = stock.sold_out;
    box.dataset.state = soldOut ? "sold_out" : "open";
    [["sold-out", !soldOut], ["reserve", soldOut], ["waitlist", !soldOut]].forEach(([name, hide]) => {
      const element = part(name);
      if (element) element.hidden = hide;
    });
    const left = part("available");
    if (left) left.textContent = stock.available;
  }
  function poll() {
    fetch(box.dataset.stockUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((stock) => { if (stock) show(stock); })
      .catch(() => {})
      .finally(() => setTimeout(poll, 1500));
  }
  setTimeout(poll, 1500);
})();
