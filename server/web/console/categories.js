// The asset categories the register knows (server/registry: the import reads their names
// too), each with its name in the person's language; a site's own category is shown by its
// code.

import { t } from "./i18n.js";

export const CATEGORY_CODES = [
  "fire_extinguisher",
  "fire_hydrant_box",
  "fire_alarm_panel",
  "emergency_light",
  "exit_sign",
  "electrical_panel",
  "playground_equipment",
  "sports_equipment",
  "kitchen_gas",
  "water_dispenser",
  "refrigerator",
  "disinfection_cabinet",
  "other",
];

export function categoryName(code) {
  return CATEGORY_CODES.includes(code) ? t(`category.${code}`) : code;
}
