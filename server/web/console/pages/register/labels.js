// The register's labels: not built yet.

import { h } from "../../dom.js";
import { t } from "../../i18n.js";

export async function draw() {
  return [h("section", { class: "card", "data-testid": "not-yet" }, h("p", { class: "muted" }, t("soon.body")))];
}
