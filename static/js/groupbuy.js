// The group buy page, live: the countdown ticks every second and, while the group buy is open, the
// price, tiers and bars follow the progress endpoint every 10 s. The page shows the same numbers
// (as of loading) without this file.
(function () {
  "use strict";
  const box = document.querySelector(".gb-progress");
  if (!box) return;
  const currency = box.dataset.currency;
  const lang = box.dataset.locale || document.documentElement.lang || undefined;
  const formatter = new Intl.NumberFormat(lang, { style: "currency", currency: currency });
  const digits = formatter.resolvedOptions().maximumFractionDigits;
  const money = (minor) => formatter.format(minor / Math.pow(10, digits));
  const fill = (template, values) => template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key]));
  const all = (name) => document.querySelectorAll('[data-gb="' + name + '"]');
  const setText = (name, text) => all(name).forEach((el) => { el.textContent = text; });
  const setBar = (name, percent) => all(name).forEach((el) => {
    el.setAttribute("aria-valuenow", percent);
    el.firstElementChild.style.width = percent + "%";
  });

  function show(p) {
    setText("price", money(p.current_tier.member_price));
    setText("total", p.pooled_total);
    setText("moq", p.moq);
    setText("pledges", p.pledge_count);
    setText("next", p.next_tier
      ? fill(box.dataset.nextTemplate, { n: p.to_next_tier, price: money(p.next_tier.member_price) })
      : box.dataset.topTemplate);
    setText("next-threshold", p.next_tier ? p.next_tier.min_quantity : "");
    setText("moq-text", p.to_moq ? fill(box.dataset.moqTemplate, { n: p.to_moq }) : box.dataset.moqReached);
    setBar("moq-bar", p.moq_percent);
    setBar("tier-bar", p.next_tier_percent);
    all("my-amount").forEach((el) => {
      const unit = Math.min(p.current_tier.member_price, Number(el.dataset.cap));
      el.textContent = money(unit * Number(el.dataset.quantity));
    });
    document.querySelectorAll("tr[data-tier]").forEach((row) => {
      row.classList.toggle("gb-current", Number(row.dataset.tier) === p.current_tier.min_quantity);
    });
    if (!p.open) box.dataset.open = "false";
  }

  function poll() {
    if (box.dataset.open !== "true") return;
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((progress) => { if (progress) show(progress); })
      .catch(() => {})
      .finally(() => setTimeout(poll, 10000));
  }
  setTimeout(poll, 10000);

  const countdown = document.querySelector(".countdown[data-deadline]");
  if (countdown) {
    const deadline = Date.parse(countdown.dataset.deadline);
    const pad = (n) => String(n).padStart(2, "0");
    const tick = () => {
      const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
      if (left === 0) {
        countdown.textContent = countdown.dataset.closed;
        box.dataset.open = "false";
        return;
      }
      countdown.textContent = fill(countdown.dataset.template, {
        d: Math.floor(left / 86400), h: pad(Math.floor(left / 3600) % 24),
        m: pad(Math.floor(left / 60) % 60), s: pad(left % 60),
      });
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
