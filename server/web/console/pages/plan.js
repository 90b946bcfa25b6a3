// The plan page: not built yet.

import { notYet } from "../layout.js";

export async function render(view) {
  notYet(view, "plan");
}
