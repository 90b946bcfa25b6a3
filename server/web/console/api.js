// Calls to the server with the browser's session cookie (the console enrols no device).
// Requests that change something carry the session's CSRF token: the one the login answered
// with, or after a reload the rk_csrf cookie the server set beside the session.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
    // The request field the refusal is about (a form shows it next to that field).
    this.field = problem?.field ?? null;
    // Each part's own problem where the server lists them (a spreadsheet's rows, a
    // checklist's items), for a page that shows them next to their part.
    this.errors = problem?.errors ?? [];
  }
}

let csrfToken = null;

function csrfCookie() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("rk_csrf="));
  return cookie ? decodeURIComponent(cookie.slice("rk_csrf=".length)) : null;
}

function csrf() {
  return csrfCookie() ?? csrfToken;
}

// `body`: an object sent as JSON, or with `contentType` the raw bytes (a File or Blob) sent
// as they are. `as`: how the answer is read ("json", or "blob" for a file to download).
async function call(path, { method = "GET", body, contentType, as = "json" } = {}) {
  const headers = { Accept: as === "json" ? "application/json" : "*/*" };
  if (body !== undefined) headers["Content-Type"] = contentType ?? "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf() ?? "";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined || contentType ? body : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new ApiError(response.status, problem);
  }
  if (response.status === 204) return null;
  return as === "blob" ? response.blob() : response.json();
}

export async function login(username, password) {
  const session = await call("/api/auth/login", { method: "POST", body: { username, password } });
  csrfToken = session.csrf_token;
  return session.user;
}

// Who is signed in, or null when no one is (no session, or it ended). The server sets and
// clears the rk_csrf cookie together with the session's: without it, there is no session to
// ask about.
export async function whoAmI() {
  if (!csrfCookie()) return null;
  try {
    return await call("/api/me");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

// The caller's sites with their English names and the caller's role at each.
export function sites() {
  return call("/api/sites");
}

export async function logout() {
  await call("/api/auth/logout", { method: "POST" });
  csrfToken = null;
}

// The pages' calls: GET, and the changes with the session's CSRF token.
export const get = (path) => call(path);
export const post = (path, body) => call(path, { method: "POST", body });
export const patch = (path, body) => call(path, { method: "PATCH", body });
export const put = (path, body) => call(path, { method: "PUT", body });
export const remove = (path) => call(path, { method: "DELETE" });
// A file's bytes as the body (an import's spreadsheet, a checklist's YAML).
export const upload = (path, file, contentType) =>
  call(path, { method: "POST", body: file, contentType: contentType || file.type || "application/octet-stream" });
// A file the server makes (a label sheet's PDF), as a Blob.
export const download = (path) => call(path, { as: "blob" });

// A new record's id, made here (UUIDv7, as the phone makes them): sent again after a lost
// answer, the same create is applied once.
export function uuid7(now = Date.now()) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
