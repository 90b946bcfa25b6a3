// What a person's roles let them do on the phone, and so what their home shows first. Pure:
// the logged-in person ({id, sites: [{site_id, site_name, role}]}, stored at login) in,
// plain values out.
//
// A person has one role at each of their sites (server/accounts/access.py). Someone with
// different roles at different sites gets the parts of every one of them, each part for the
// sites where a role gives it, led by the part of their strongest role (RANK): a manager at
// one school who inspects at another sees the overview first, then their due work there.

// Who looks over a site's figures: its managers, and an auditor, who only reads.
export const OVERSEERS = new Set(["admin", "manager", "auditor"]);

// An auditor records nothing: the server refuses their inspections, reports, photos and
// "won't do"s (inspections.py SUBMITTERS, hazards.py REPORTERS, blobs.py UPLOADERS).
export const READERS = new Set(["auditor"]);

// The parts of home each role is for, its own work first: the overview of a site, the
// person's open actions, their own due work (`due`, the `mine` rule) or everyone's
// (`site_due`), their patrol rounds (`patrol`), and the scanner. A guard and a gatekeeper
// keep nothing, so no due work is theirs under the `mine` rule: their rounds lead, then
// the scanner and what is due at the site, any of which they may check. Anyone else with
// a round due gets the patrol part too (home.js).
const PARTS = {
  admin: ["overview", "scan", "actions"],
  manager: ["overview", "scan", "actions"],
  maintainer: ["actions", "scan", "due"],
  inspector: ["due", "scan", "actions"],
  guard: ["patrol", "scan", "site_due", "actions"],
  gatekeeper: ["patrol", "scan", "site_due", "actions"],
  auditor: ["overview", "scan"],
};

// Strongest first: whose part leads a home of several roles.
const RANK = ["admin", "manager", "maintainer", "inspector", "guard", "gatekeeper", "auditor"];

export function roleAt(user, siteId) {
  return (user?.sites ?? []).find((s) => s.site_id === siteId)?.role ?? null;
}

// Only reads at this site: the phone offers no form there whose record the server refuses.
export function readsOnlyAt(user, siteId) {
  return READERS.has(roleAt(user, siteId));
}

// Reads only, everywhere: no checklist, report or "won't do" is offered at all.
export function readsOnly(user) {
  const sites = user?.sites ?? [];
  return sites.length > 0 && sites.every((s) => READERS.has(s.role));
}

// The parts of home in order, each with the sites it covers: [{part, sites: [site]}].
export function homeParts(user) {
  const sites = [...(user?.sites ?? [])].sort((a, b) => rank(a.role) - rank(b.role));
  const parts = new Map();
  for (const site of sites) {
    for (const part of PARTS[site.role] ?? []) {
      if (!parts.has(part)) parts.set(part, []);
      parts.get(part).push(site);
    }
  }
  // Everyone can scan, a person whose memberships have all ended too.
  if (!parts.has("scan")) parts.set("scan", []);
  return [...parts].map(([part, covered]) => ({ part, sites: covered }));
}

function rank(role) {
  const at = RANK.indexOf(role);
  return at < 0 ? RANK.length : at;
}

// The `mine` rule of GET /api/due (server/schedules/due.py): occurrences on things I keep;
// an inspector also gets those on things no one keeps (places, assets without a keeper).
// `thing` is the pulled asset or location record.
export function isMine(thing, userId, role) {
  const keeper = thing?.keeper_id ?? null;
  return keeper === userId || (keeper === null && role === "inspector");
}
