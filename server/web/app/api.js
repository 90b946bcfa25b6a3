// Calls to the server. The browser's session cookie is used only to log in and enrol the
// device; everything after that carries the device's bearer token.

import { refusal, t } from "./i18n.js";

export const PROTOCOL = 1;
export const APP_VERSION = "web-0.1.0";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
  }
}

async function call(path, { method = "GET", body, token, csrf } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: token ? "omit" : "same-origin",
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new ApiError(response.status, problem);
  }
  return response.status === 204 ? null : response.json();
}

// Logs in with the session cookie and enrols this browser as a device: a bearer token bound
// to a new device id, shown once and kept by the caller.
export async function loginAndEnrol(username, password, deviceName) {
  const session = await call("/api/auth/login", {
    method: "POST",
    body: { username, password },
  });
  const created = await call("/api/tokens", {
    method: "POST",
    body: { device_name: deviceName },
    csrf: session.csrf_token,
  });
  return {
    user: session.user,
    csrf: session.csrf_token,
    token: created.token,
    tokenId: created.info.id,
    deviceId: created.info.device_id,
  };
}

export function pull(token, deviceId, cursors, limit = 500) {
  return call("/api/sync/pull", {
    method: "POST",
    token,
    body: { protocol: PROTOCOL, app_version: APP_VERSION, device_id: deviceId, cursors, limit },
  });
}

// The records of a site the server refused, from every phone, newest first (its managers).
export function siteRefusals(token, siteId) {
  return call(`/api/sync/refused?site_id=${encodeURIComponent(siteId)}`, { token });
}

// Best effort: revoke the device's token and end the browser session.
export async function logout(token, tokenId, csrf) {
  await call(`/api/tokens/${tokenId}`, { method: "DELETE", token }).catch(() => null);
  await call("/api/auth/logout", { method: "POST", csrf }).catch(() => null);
}

export function push(token, deviceId, ops) {
  return call("/api/sync/push", {
    method: "POST",
    token,
    body: {
      protocol: PROTOCOL,
      app_version: APP_VERSION,
      device_id: deviceId,
      device_now: new Date().toISOString(),
      ops,
    },
  });
}

// A photo or signature, raw bytes named by their sha256.
export async function uploadBlob(token, blob) {
  const response = await fetch(`/api/blobs/${blob.sha256}?site_id=${encodeURIComponent(blob.site_id)}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": blob.type, Accept: "application/json" },
    body: blob.data,
    credentials: "omit",
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new ApiError(response.status, problem);
  }
  return response.json();
}

// What went wrong, for the person, in their language: the server's reason (by its code), or
// that it could not be reached.
export function describeError(error) {
  if (error instanceof ApiError) return error.code ? refusal(error.code) : t("error.server", { status: error.status });
  return t("error.network");
}
