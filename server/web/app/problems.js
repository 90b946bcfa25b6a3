// A thing's problems as this phone knows them: the open findings pulled from the server,
// and what the inspections still waiting in the outbox will do to them once sent. The
// server judges a waiting inspection as the form did (checklist.js), so a failure made
// offline is a problem now, not after the next sync. Pure: records in, a list out.

import { isAnswered, judge, shownItems } from "./checklist.js";

// `open`: the thing's open pulled findings (target.js describeTarget); `pulled`: every
// pulled finding of the site; `waiting`: the bodies of the thing's `inspection.submitted`
// ops in the outbox; `templates`: the pulled template records; `timeZone`: the site's,
// whose day dates are judged against (as the server does). Each failed item of a waiting
// inspection becomes a problem with status `waiting`; an open finding whose item a later
// waiting inspection passed is marked `recheck_waiting`, as the server will recheck it;
// one whose inspection a waiting correction supersedes is left out, as the server will
// withdraw it (the correction's own failures stand). Newest first.
export function withWaiting({ open, pulled, waiting, templates, timeZone = "UTC" }) {
  const templatesByKey = new Map(templates.map((r) => [r.key, r.template]));
  // Sent, but its answer never reached the phone: the server's findings stand for it.
  const arrived = new Set(pulled.map((f) => f.inspection_id));
  const raised = [];
  const passes = [];
  for (const body of waiting) {
    // A template republished since is judged as the phone holds it: its items keep their
    // keys, and a failure is better shown than not.
    const template = templatesByKey.get(body.template_key);
    if (!template || arrived.has(body.id)) continue;
    const shown = shownItems(template, body.answers);
    const day = new Date(body.completed_at).toLocaleDateString("sv-SE", { timeZone });
    for (const item of template.items) {
      const value = body.answers[item.key];
      if (!shown.has(item.key) || !isAnswered(value)) continue;
      const outcome = judge(item, value, day);
      if (outcome === "pass") passes.push({ template_key: template.key, item_key: item.key, at: body.completed_at });
      if (outcome !== "fail") continue;
      raised.push({
        id: `${body.id}|${item.key}`,
        template_key: template.key,
        item_key: item.key,
        label: item.label,
        severity: item.critical ? "high" : "normal",
        observed_at: body.completed_at,
        status: "waiting",
      });
    }
  }
  const corrected = new Set(waiting.map((b) => b.supersedes).filter(Boolean));
  const rechecked = (f) => passes.some((p) => p.template_key === f.template_key && p.item_key === f.item_key
    && Date.parse(p.at) > Date.parse(f.observed_at));
  const standing = open.filter((f) => !corrected.has(f.inspection_id));
  return [...raised, ...standing.map((f) => (rechecked(f) ? { ...f, status: "recheck_waiting" } : f))]
    .sort((a, b) => Date.parse(b.observed_at) - Date.parse(a.observed_at));
}
