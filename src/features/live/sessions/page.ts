/** Only our own origin: no third-party hosts, no inline script or style. */
export const LIVE_PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

function escapeAttr(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '')
}

/** The guest page shell; public/assets/live.js does the rest against the API. */
export function livePage(sessionId: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="dark light">
<title>Live photos</title>
<link rel="stylesheet" href="/assets/live.css">
<script src="/assets/live.js" defer></script>
</head>
<body data-session="${escapeAttr(sessionId)}">
<header class="bar">
  <h1 id="title">Live photos</h1>
  <p class="meta"><span id="status" role="status" aria-live="polite">Connecting…</span> · <span id="viewers" aria-label="viewers"></span></p>
  <button id="wall-toggle" type="button" hidden>Photo wall</button>
</header>
<main>
  <section id="gate" hidden aria-labelledby="gate-title">
    <h2 id="gate-title">Enter the access code</h2>
    <form id="code-form" autocomplete="off">
      <label for="code">Access code</label>
      <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required>
      <button type="submit">View photos</button>
      <p id="code-error" class="error" role="alert"></p>
    </form>
  </section>
  <section id="message" hidden role="alert"></section>
  <ul id="grid" class="grid" aria-label="Photos" hidden></ul>
  <p id="empty" hidden>No photos yet. They appear here as soon as the photographer shares them.</p>
</main>
<div id="lightbox" class="lightbox" role="dialog" aria-modal="true" aria-label="Photo" hidden>
  <button id="lb-close" class="lb-close" type="button" aria-label="Close">×</button>
  <button id="lb-prev" class="lb-nav lb-prev" type="button" aria-label="Previous photo">‹</button>
  <figure><img id="lb-img" alt=""><figcaption id="lb-caption"></figcaption></figure>
  <button id="lb-next" class="lb-nav lb-next" type="button" aria-label="Next photo">›</button>
  <div class="lb-actions"><button id="lb-like" type="button">♥ <span id="lb-likes">0</span></button> <a id="lb-download" download hidden>Download</a></div>
</div>
<div id="wall" class="wall" hidden aria-live="polite"><img id="wall-img" alt=""><p id="wall-caption"></p></div>
</body>
</html>`
}
