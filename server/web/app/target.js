// What the target page shows for a tag, worked out from the pulled records only, so it
// works the same offline. Pure: records in, a plain description out.

// Where a template applies at a site: the site's own rule (site_checklist) if it has one,
// else the template's applies_to; as server/templates/site_checklists.py decides.
export function applies(template, override, { category = null, kind = null }) {
  const rule = override ?? {
    enabled: true,
    asset_categories: template.applies_to.asset_categories,
    location_kinds: template.applies_to.location_kinds,
  };
  return (
    rule.enabled &&
    ((category !== null && rule.asset_categories.includes(category)) ||
      (kind !== null && rule.location_kinds.includes(kind)))
  );
}

// The names from the top of the tree down to `locationId` (included).
export function locationPath(locationId, locationsById) {
  const path = [];
  const seen = new Set();
  let id = locationId;
  while (id && locationsById.has(id) && !seen.has(id)) {
    seen.add(id);
    const location = locationsById.get(id);
    path.unshift(location);
    id = location.parent_id;
  }
  return path;
}

// `data`: {tag, asset, location, locations, people, templates, overrides, findings}, where
// templates are the pulled `template` records ({key, version, template}).
export function describeTarget(data) {
  const { tag, asset, location, locations, people, templates, overrides, findings } = data;
  const locationsById = new Map(locations.map((l) => [l.id, l]));
  const peopleById = new Map(people.map((p) => [p.id, p]));
  const overridesByKey = new Map(overrides.map((o) => [o.template_key, o]));
  const templatesByKey = new Map(templates.map((t) => [t.key, t.template]));
  const description = { tag, kind: null, findings: [], checklists: [] };
  let target = {};
  if (asset) {
    description.kind = "asset";
    description.asset = asset;
    description.path = locationPath(asset.location_id, locationsById);
    description.keeper = asset.keeper_id ? (peopleById.get(asset.keeper_id) ?? null) : null;
    target = { category: asset.category };
  } else if (location) {
    description.kind = "location";
    description.location = location;
    description.path = locationPath(location.parent_id, locationsById);
    target = { kind: location.kind };
  } else {
    return description;
  }
  for (const { key, template } of templates.map((t) => ({ key: t.key, template: t.template }))) {
    if (applies(template, overridesByKey.get(key), target)) description.checklists.push(template);
  }
  description.checklists.sort((a, b) => a.key.localeCompare(b.key));
  description.findings = findings
    .filter(
      (f) =>
        f.status === "open" &&
        (asset ? f.asset_id === asset.id : f.location_id === location.id && !f.asset_id),
    )
    .map((f) => {
      const item = templatesByKey.get(f.template_key)?.items.find((i) => i.key === f.item_key);
      return { ...f, label: item?.label ?? null };
    })
    .sort((a, b) => (a.observed_at < b.observed_at ? 1 : -1));
  return description;
}
