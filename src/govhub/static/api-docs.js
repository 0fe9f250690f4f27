// Starts Swagger UI on the API documentation page (`/docs`) from a file of our own, not an inline script,
// so the page keeps the platform's Content Security Policy (no inline scripts). The page says where the
// OpenAPI document is, in `data-openapi-url`.
const container = document.getElementById("swagger-ui");

window.ui = SwaggerUIBundle({
  url: container.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  // No badge fetched from validator.swagger.io: nothing on this page comes from elsewhere.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
