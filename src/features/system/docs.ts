/**
 * The API reference page. It renders /openapi.json with a small script served from our own
 * static assets (public/docs/app.js), so it works offline and loads nothing from third parties.
 */
export function docsPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Darkroom API reference</title>
<link rel="stylesheet" href="/docs/docs.css">
<script src="/docs/app.js" defer></script>
</head>
<body>
<header><h1>Darkroom API</h1><p id="description">Loading <a href="/openapi.json">/openapi.json</a>…</p>
<input id="filter" type="search" placeholder="Filter routes (path, summary, tag)" aria-label="Filter routes"></header>
<nav id="toc" aria-label="Tags"></nav>
<main id="routes"></main>
<noscript>This page needs JavaScript; the raw document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
</body>
</html>`
}
