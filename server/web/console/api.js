// Calls to the server with the browser's session cookie (the console enrols no device).
// Requests that change something carry the session's CSRF token: the one the login answered
// with, or after a reload the rk_csrf cookie the server set beside the session.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
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

async function call(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf() ?? "";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new ApiError(response.status, problem);
  }
  return response.status === 204 ? null : response.json();
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
