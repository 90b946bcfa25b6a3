// The rules of a corrective action as server/actions/rules.py has them (a
// browser test compares the two), and what the phone makes of its pulled actions and its
// own steps not yet sent. Pure: values in, values out.

export const CLOSED = new Set(["verified", "cancelled"]);

// transition -> [states it may start from, state it leads to or null for "unchanged"]
export const MOVES = {
  start: [["open"], "in_progress"],
  fix: [["open", "in_progress"], "fixed"],
  verify: [["fixed"], "verified"],
  reopen: [["fixed", "verified"], "open"],
  cancel: [["open", "in_progress", "fixed"], "cancelled"],
  assign: [["open", "in_progress", "fixed"], null],
};

export const ALLOWED = {
  start: ["owner", "manager", "maintainer"],
  fix: ["owner", "manager", "maintainer"],
  verify: ["requester", "manager"],
  reopen: ["requester", "manager"],
  cancel: ["manager"],
  assign: ["manager"],
};

export const NEEDS_REASON = new Set(["reopen", "cancel"]);

// The steps a person takes on the phone; cancelling and assigning stay with the office.
export const PHONE_STEPS = ["start", "fix", "verify", "reopen"];

// The roles that run a site (server/accounts/access.py MANAGERS).
export const MANAGERS = new Set(["admin", "manager"]);

export function nextState(state, transition) {
  const [sources, target] = MOVES[transition];
  if (!sources.includes(state)) return null;
  return target ?? state;
}

export function may(transition, capacities) {
  return ALLOWED[transition].some((c) => capacities.has(c));
}

// What the person is to this action: `user` is the logged-in person ({id, sites: [{site_id,
// role}]}), as the server's _capacities decides.
export function capacities(action, user) {
  const role = (user?.sites ?? []).find((s) => s.site_id === action.site_id)?.role ?? "";
  const found = new Set();
  if (MANAGERS.has(role)) found.add("manager");
  if (role === "maintainer") found.add("maintainer");
  if (user && action.owner_id === user.id) found.add("owner");
  if (user && action.requester_id === user.id) found.add("requester");
  return found;
}

// The action as the phone expects it once its waiting steps (`waiting`: the bodies of this
// action's `action.transitioned` ops still in the outbox, in order) are applied: the state
// and the version the next step is based on. The pulled record itself is never changed.
export function expected(action, waiting) {
  let { state, version } = action;
  for (const step of waiting) {
    state = nextState(state, step.transition) ?? state;
    version += 1;
  }
  return { state, version };
}

// The steps the person may take next on the phone, in PHONE_STEPS order.
export function stepsFor(state, caps) {
  return PHONE_STEPS.filter((step) => nextState(state, step) !== null && may(step, caps));
}

export function isOverdue(action, now) {
  return ["open", "in_progress"].includes(action.state) && Date.parse(action.due_at) < now;
}

const byDue = (a, b) => Date.parse(a.due_at) - Date.parse(b.due_at) || (a.id < b.id ? -1 : 1);

// "My actions": the ones I own that are not closed (to do; fixed and waiting for sign-off,
// apart) and the fixed ones I asked for that wait for my sign-off, each sorted by due time.
export function myActions(actions, userId) {
  const signOff = actions.filter((a) => a.requester_id === userId && a.state === "fixed");
  const mine = actions.filter((a) => a.owner_id === userId && !CLOSED.has(a.state) && !signOff.includes(a));
  return {
    todo: mine.filter((a) => a.state !== "fixed").sort(byDue),
    fixed: mine.filter((a) => a.state === "fixed").sort(byDue),
    signOff: signOff.sort(byDue),
  };
}

// How a sent step went, from its kept answer (store.stepOutcomes): "applied", "parallel"
// (applied although the action had changed since the person saw it), "conflict" (illegal
// from the state the action is in now) or "rejected" (refused for another reason).
export function outcomeOf(answer) {
  if (answer.status === "applied" || answer.status === "duplicate") return answer.parallel ? "parallel" : "applied";
  return answer.status === "conflict" ? "conflict" : "rejected";
}
