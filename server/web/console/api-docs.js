// The API documentation at /schema: Swagger UI (served by this server from the npm
// package, see THIRD_PARTY.md) over the server's own OpenAPI description. Loaded by the
// page as a file, since the pages' policy allows no inline code.

/* global SwaggerUIBundle */
const list = document.getElementById("rk-operations");
SwaggerUIBundle({
  url: document.getElementById("docs").dataset.openapi,
  dom_id: "#docs",
  deepLinking: true,
  // The console's own session cookie and CSRF header make "Try it out" work for a signed-in
  // manager; nothing is ever sent to a validator elsewhere.
  validatorUrl: null,
  requestInterceptor: (request) => {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("rk_csrf="));
    if (cookie && request.method !== "GET") request.headers["X-CSRF-Token"] = decodeURIComponent(cookie.slice(8));
    return request;
  },
  onComplete: () => { if (list) list.hidden = true; },
});
