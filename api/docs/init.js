// Renders /openapi.json with the vendored Swagger UI; nothing is fetched
// from outside this server.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#api",
  deepLinking: true,
  tryItOutEnabled: true,
  validatorUrl: null
});
