// The today page: not built yet.

import { notYet } from "../layout.js";

export async function render(view) {
  notYet(view, "today");
}
