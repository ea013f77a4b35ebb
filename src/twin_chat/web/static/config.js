// Deployment settings, loaded before app.js. Locally nothing is set and the page calls
// the API relative to itself (api/chat ...). On AWS the deploy script rewrites this file:
//   window.TWIN_CONFIG = { apiBase: "https://<api-id>.execute-api.<region>.amazonaws.com" };
