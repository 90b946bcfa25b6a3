// The kinds a place may be, each with the key of its name (checklists/templates.py
// LocationKind; the phone app has the same list).
export const PLACE_KINDS = {
  campus: "kind.campus",
  building: "kind.building",
  floor: "kind.floor",
  room: "kind.room",
  corridor: "kind.corridor",
  stairwell: "kind.stairwell",
  area: "kind.area",
  outdoor: "kind.outdoor",
  gate: "kind.gate",
  kitchen: "kind.kitchen",
  dormitory: "kind.dormitory",
  playground: "kind.playground",
};
