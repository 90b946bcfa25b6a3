// The manager screen (/app/manager).

import { h, show } from "./dom.js";
import { backButton } from "./nav.js";
import { t } from "./i18n.js";

export async function render(view) {
  show(view, h("div", { class: "card" }, h("h1", {}, t("home.menu_manager"))), backButton());
}
