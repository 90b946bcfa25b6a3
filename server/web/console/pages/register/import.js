// The register's import: assets from a CSV or XLSX file, in two steps. The check stores
// nothing and lists every problem against its row and column, or the assets the file would
// make; only a file that checked clean can be imported, and then every row goes in or none
// does. A template with the headers in Chinese gets the office started.

import * as api from "../../api.js";
import { h, useStyles } from "../../dom.js";
import { problemSlot, showProblem } from "../../forms.js";
import { formatDateTime, loadStrings, t } from "../../i18n.js";
import { CATEGORIES, categoryName } from "./assets.js";

// What each problem of a row is, by the check's stable code.
const PROBLEMS = {
  column_unknown: "import.problem_column_unknown",
  column_twice: "import.problem_column_twice",
  column_missing: "import.problem_column_missing",
  columns_too_many: "import.problem_columns_too_many",
  required: "import.problem_required",
  category_format: "import.problem_category_format",
  too_long: "import.problem_too_long",
  number_taken: "import.problem_number_taken",
  number_repeated: "import.problem_number_repeated",
  location_unknown: "import.problem_location_unknown",
  keeper_unknown: "import.problem_keeper_unknown",
  attribute_name: "import.problem_attribute_name",
  date_format: "import.problem_date_format",
};
// The file's columns as the check names them, each with the header the template uses.
const COLUMNS = {
  name: "import.column_name",
  name_en: "import.column_name_en",
  category: "import.column_category",
  asset_number: "import.column_asset_number",
  serial_number: "import.column_serial_number",
  location: "import.column_location",
  keeper: "import.column_keeper",
  "attributes.expiry_date": "import.column_expiry_date",
  "attributes.manufacture_date": "import.column_manufacture_date",
  "attributes.purchase_date": "import.column_purchase_date",
  "attributes.model": "import.column_model",
};
// The template's headers (server/registry/imports.py HEADERS) and an example row.
const TEMPLATE = [
  ["名称", "类别", "资产编号", "出厂编号", "位置", "责任人", "有效期至", "生产日期", "规格型号"],
  ["手提式干粉灭火器", "灭火器", "MHQ-001", "", "教学楼A/3F/301", "", "2031-05-01", "2026-05-01", "MFZ/ABC4"],
];
const TYPES = { csv: "text/csv", xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" };

function formatOf(file) {
  const extension = file.name.split(".").pop().toLowerCase();
  return TYPES[extension] ? extension : null;
}

function columnName(column) {
  return COLUMNS[column] ? t(COLUMNS[column]) : column ?? "";
}

// The problem in the person's language, with what the cell held where that is the problem.
function problemText(error) {
  const problem = PROBLEMS[error.code] ? t(PROBLEMS[error.code]) : error.reason;
  return error.value ? t("import.problem_with_value", { value: error.value, problem }) : problem;
}

// The template as a CSV file Excel and WPS open as UTF-8 (with a byte-order mark).
function downloadTemplate() {
  const quote = (cell) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
  const text = TEMPLATE.map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
  const link = h("a", {
    href: URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" })),
    download: t("import.template_file"),
  });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function errorTable(check) {
  return h("div", { class: "wide-table" }, h("table", { class: "row-errors", "data-testid": "row-errors" },
    h("caption", { class: "sr-only" }, t("import.errors_caption")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("import.row")),
      h("th", { scope: "col" }, t("import.column")),
      h("th", { scope: "col" }, t("import.problem")))),
    h("tbody", {}, check.errors.map((e) =>
      h("tr", { "data-testid": "row-error", "data-row": e.row },
        h("td", {}, e.row === 1 ? t("import.header_row") : t("import.row_number", { row: e.row })),
        h("td", {}, columnName(e.column)),
        h("td", {}, problemText(e)))))));
}

function previewTable(check) {
  return h("div", { class: "wide-table" }, h("table", { class: "import-preview", "data-testid": "import-preview" },
    h("caption", { class: "sr-only" }, t("import.preview_caption")),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, t("import.row")),
      h("th", { scope: "col" }, t("import.column_name")),
      h("th", { scope: "col" }, t("import.column_category")),
      h("th", { scope: "col" }, t("import.column_asset_number")),
      h("th", { scope: "col" }, t("import.column_location")),
      h("th", { scope: "col" }, t("import.column_keeper")),
      h("th", { scope: "col" }, t("import.column_expiry_date")))),
    h("tbody", {}, check.preview.map((p) =>
      h("tr", { "data-testid": "preview-row" },
        h("td", {}, t("import.row_number", { row: p.row })),
        h("td", {}, p.name),
        h("td", {}, categoryName(p.category)),
        h("td", { class: "code" }, [p.asset_number, p.serial_number].filter(Boolean).join(" · ")),
        h("td", {}, p.location_path.join(" › ")),
        h("td", {}, p.keeper_name ?? ""),
        h("td", {}, p.attributes.expiry_date ?? ""))))));
}

// What the check found, and the import's button when the file may go in.
function checkResult(check, file, ctx, redraw) {
  if (check.already_imported_at) {
    return h("section", { class: "card", "data-testid": "check-result" },
      h("p", { class: "import-summary" }, t("import.already", { time: formatDateTime(check.already_imported_at) })));
  }
  if (check.problems) {
    return h("section", { class: "card", "data-testid": "check-result" },
      h("h2", {}, t("import.check_title")),
      h("p", { class: "import-summary warn", role: "alert", "data-testid": "check-summary" },
        t("import.has_problems", { rows: check.rows, problems: check.problems })),
      check.problems > check.errors.length
        ? h("p", { class: "muted" }, t("import.first_problems", { count: check.errors.length }))
        : null,
      errorTable(check));
  }
  const slot = problemSlot();
  const commit = h("button", { type: "button", "data-testid": "commit-import" },
    t("import.commit", { count: check.creatable }));
  commit.addEventListener("click", async () => {
    commit.disabled = true;
    let result;
    try {
      result = await api.upload(`/api/sites/${ctx.site.id}/assets/import?format=${formatOf(file)}&dry_run=false`, file, TYPES[formatOf(file)]);
    } catch (error) {
      commit.disabled = false;
      return showProblem(section, error, ctx.describeError);
    }
    await redraw(result.already_imported_at
      ? t("import.already", { time: formatDateTime(result.already_imported_at) })
      : t("import.done", { count: result.created }));
  });
  const section = h("section", { class: "card", "data-testid": "check-result" },
    h("h2", {}, t("import.check_title")),
    h("p", { class: "import-summary import-ok", role: "status", "data-testid": "check-summary" },
      check.creatable
        ? t("import.clean", { rows: check.rows, count: check.creatable })
        : t("import.empty_file")),
    check.creatable ? h("div", { class: "row import-commit" }, commit, h("span", { class: "muted" }, t("import.commit_hint"))) : null,
    slot,
    check.creatable > check.preview.length
      ? h("p", { class: "muted" }, t("import.first_preview", { count: check.preview.length }))
      : null,
    check.creatable ? previewTable(check) : null);
  return section;
}

function help() {
  const entry = (header, text) => [h("dt", {}, header), h("dd", {}, text)];
  const names = Object.keys(CATEGORIES).map(categoryName).join(t("list.separator"));
  return h("details", { class: "headers-help", "data-testid": "headers-help" },
    h("summary", {}, t("import.headers_title")),
    h("dl", {},
      entry(t("import.column_name"), t("import.about_name")),
      entry(t("import.column_category"), t("import.about_category", { names })),
      entry(t("import.column_asset_number"), t("import.about_asset_number")),
      entry(t("import.column_serial_number"), t("import.about_serial_number")),
      entry(t("import.column_location"), t("import.about_location")),
      entry(t("import.column_keeper"), t("import.about_keeper")),
      entry(t("import.dates"), t("import.about_dates")),
      entry(t("import.column_model"), t("import.about_model")),
      entry("attr:…", t("import.about_attr"))));
}

export async function draw(ctx, redraw) {
  useStyles("register-assets");
  // The categories' names are the assets tab's.
  await loadStrings("register-assets");
  const canImport = ctx.site.role !== "auditor";
  const intro = h("section", { class: "card" },
    h("h2", {}, t("import.title")),
    h("ol", { class: "import-steps" },
      h("li", {}, t("import.step_template")),
      h("li", {}, t("import.step_check")),
      h("li", {}, t("import.step_import"))),
    h("button", { type: "button", class: "plain", "data-testid": "download-template", onclick: downloadTemplate },
      t("import.template")),
    help());
  if (!canImport) {
    return [intro, h("p", { class: "card muted", "data-testid": "read-only" }, t("import.read_only"))];
  }
  const result = h("div", { "data-testid": "import-result" });
  const input = h("input", { id: "import-file", name: "file", type: "file", accept: ".csv,.xlsx", required: true });
  const form = h("form", { class: "card", "data-testid": "import-form" },
    h("div", { class: "import-file" },
      h("div", {}, h("label", { for: input.id }, t("import.file")), input,
        h("p", { class: "muted small-text" }, t("import.file_hint"))),
      h("button", { "data-testid": "check-file" }, t("import.check"))),
    problemSlot());
  // Another file, or the same one changed and chosen again, is checked afresh.
  input.addEventListener("change", () => result.replaceChildren());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.replaceChildren();
    for (const old of form.querySelectorAll(".field-problem")) old.textContent = "";
    const file = input.files[0];
    const format = file && formatOf(file);
    if (!format) {
      form.querySelector('[data-problem=""]').textContent = t("import.wrong_type");
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    button.textContent = t("import.checking");
    try {
      const check = await api.upload(`/api/sites/${ctx.site.id}/assets/import/check?format=${format}`, file, TYPES[format]);
      result.replaceChildren(checkResult(check, file, ctx, redraw));
    } catch (error) {
      showProblem(form, error, ctx.describeError);
    } finally {
      button.disabled = false;
      button.textContent = t("import.check");
    }
  });
  return [intro, form, result];
}
