// @ts-check
// Darkroom live guest page: access code, live grid, lightbox, photo wall, resumable WebSocket.
// Talks only to this origin (see the page's Content-Security-Policy). Plain JS served as is;
// `tsc -p public` checks it against the server's declaration of the socket protocol.

/** @typedef {import('../../src/features/live/room/schemas').LiveFrame} LiveFrame */
/** @typedef {import('../../src/features/live/room/schemas').LiveMessage} LiveMessage */
/** @typedef {import('../../src/features/live/room/schemas').PongFrame} PongFrame */
/** @typedef {import('../../src/features/live/room/schemas').LivePhotoDto} LivePhoto */

;(() => {
  /**
   * An element of the page shell (src/features/live/sessions/page.ts), which always has it.
   * @template {HTMLElement} [E=HTMLElement]
   * @param {string} id
   * @returns {E}
   */
  const $ = (id) => /** @type {E} */ (document.getElementById(id))
  /** @param {string} id */
  const $img = (id) => /** @type {HTMLImageElement} */ ($(id))
  /** A known photo (the callers only pass ids of `state.order`). @param {string} id */
  const known = (id) => /** @type {LivePhoto} */ (state.photos.get(id))
  const sessionId = document.body.dataset.session
  const storageKey = `darkroom:viewer:${sessionId}`
  // One random id per browser: the same device stays the same guest (likes count once).
  const deviceId = localStorage.getItem('darkroom:device') || (() => {
    const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
    localStorage.setItem('darkroom:device', id)
    return id
  })()
  /**
   * @type {{ token: string | null, photos: Map<string, LivePhoto>, order: string[], lastSeq: number,
   *   ws: WebSocket | null, retry: number, open: number, wall: boolean }}
   */
  const state = { token: localStorage.getItem(storageKey), photos: new Map(), order: [], lastSeq: 0, ws: null, retry: 0, open: -1, wall: new URLSearchParams(location.search).has('wall') }

  /** @param {string} id @param {boolean} visible */
  function show(id, visible) { $(id).hidden = !visible }
  /** @param {string} text */
  function status(text) { $('status').textContent = text }
  /** @param {string} text */
  function message(text) { show('gate', false); show('grid', false); show('empty', false); $('message').textContent = text; show('message', true) }

  /**
   * @param {string} path
   * @param {RequestInit} [init]
   * @returns {Promise<{ status: number, body: any }>} the JSON envelope of the API (see /openapi.json)
   */
  async function api(path, init = {}) {
    const headers = { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(state.token ? { authorization: `Bearer ${state.token}` } : {}) }
    const res = await fetch(path, { ...init, headers })
    const body = await res.json().catch(() => ({}))
    return { status: res.status, body }
  }

  // ThumbHash → average colour, for a placeholder before the thumbnail arrives.
  /** @param {string} hash */
  function averageColor(hash) {
    try {
      const bytes = Uint8Array.from(atob(hash), (c) => c.charCodeAt(0))
      const header = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16)
      const l = (header & 63) / 63, p = ((header >> 6) & 63) / 31.5 - 1, q = ((header >> 12) & 63) / 31.5 - 1
      const b = l - (2 / 3) * p, r = (3 * l - b + q) / 2, g = r - q
      const c = (/** @type {number} */ v) => Math.round(Math.max(0, Math.min(1, v)) * 255)
      return `rgb(${c(r)},${c(g)},${c(b)})`
    } catch { return '' }
  }

  /** @param {LivePhoto} photo @param {boolean} isNew */
  function tile(photo, isNew) {
    const li = document.createElement('li')
    li.dataset.id = photo.id
    const button = document.createElement('button')
    button.className = `tile${isNew ? ' new' : ''}`
    button.type = 'button'
    button.setAttribute('aria-label', photo.caption ? `Open photo: ${photo.caption}` : 'Open photo')
    if (photo.thumbhash) button.style.background = averageColor(photo.thumbhash)
    const img = document.createElement('img')
    img.alt = photo.caption || ''
    img.loading = 'lazy'
    img.decoding = 'async'
    img.addEventListener('load', () => img.classList.add('loaded'))
    img.src = photo.thumbUrl
    button.append(img)
    if (photo.featured) { const star = document.createElement('span'); star.className = 'star'; star.textContent = '★'; button.append(star) }
    button.addEventListener('click', () => openLightbox(photo.id))
    li.append(button)
    return li
  }

  function render() {
    show('grid', state.order.length > 0)
    show('empty', state.order.length === 0)
  }

  /** @param {LivePhoto} photo @param {boolean} live @returns {void} */
  function addPhoto(photo, live) {
    if (state.photos.has(photo.id)) return updatePhoto(photo)
    state.photos.set(photo.id, photo)
    // Newest first by upload sequence.
    let index = state.order.findIndex((id) => known(id).seq < photo.seq)
    if (index < 0) index = state.order.length
    state.order.splice(index, 0, photo.id)
    const grid = $('grid')
    grid.insertBefore(tile(photo, live), grid.children[index] || null)
    render()
    if (state.wall && live) showOnWall(photo)
  }

  /** @param {LivePhoto} photo @returns {void} */
  function updatePhoto(photo) {
    const known = state.photos.get(photo.id)
    if (!known) return addPhoto(photo, true)
    // An older version (a replay racing a list load) never overwrites a newer tile.
    if (known.updatedAt > photo.updatedAt) return
    state.photos.set(photo.id, photo)
    const old = $('grid').querySelector(`li[data-id="${CSS.escape(photo.id)}"]`)
    if (old) old.replaceWith(tile(photo, false))
  }

  /** @param {string} id */
  function removePhoto(id) {
    if (!state.photos.delete(id)) return
    state.order = state.order.filter((x) => x !== id)
    $('grid').querySelector(`li[data-id="${CSS.escape(id)}"]`)?.remove()
    if (state.open >= 0 && state.order[state.open] !== id) closeLightbox()
    render()
  }

  /** @param {LiveFrame | PongFrame} event */
  function applyEvent(event) {
    if (event.type === 'pong') return
    if (typeof event.seq === 'number') {
      // Each event once, in order: a resumed socket replays from lastSeq.
      if (event.type !== 'connected' && event.type !== 'resync' && event.seq <= state.lastSeq) return
      if (event.type !== 'connected') state.lastSeq = Math.max(state.lastSeq, event.seq)
    }
    switch (event.type) {
      case 'connected': status('Live'); break
      case 'resync': state.ws?.close(1000, 'resync'); state.ws = null; return void start()
      case 'photo.added': addPhoto(event.data.photo, true); break
      case 'photo.updated': updatePhoto(event.data.photo); break
      case 'photo.removed': removePhoto(event.data.id); break
      case 'presence': $('viewers').textContent = `${event.data.viewers} watching`; break
      case 'session.updated': $('title').textContent = event.data.session.title; document.title = event.data.session.title; break
    }
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws'
    const params = new URLSearchParams({ after: String(state.lastSeq) })
    if (state.token) params.set('token', state.token)
    const ws = new WebSocket(`${proto}://${location.host}/api/live/sessions/${sessionId}/ws?${params}`)
    state.ws = ws
    ws.addEventListener('open', () => { state.retry = 0 })
    ws.addEventListener('message', (e) => {
      const frame = /** @type {LiveMessage} */ (JSON.parse(e.data))
      for (const event of Array.isArray(frame) ? frame : [frame]) applyEvent(event)
    })
    ws.addEventListener('close', (e) => {
      if (state.ws !== ws) return
      if (e.code === 4401 || e.code === 4404) return start()
      status('Reconnecting…')
      const delay = Math.min(15000, 500 * 2 ** state.retry++) * (0.7 + Math.random() * 0.6)
      setTimeout(connect, delay)
    })
  }

  async function loadPhotos() {
    // The whole list in `after` pages; the socket then resumes from the event seq of the first page.
    let after = 0
    let first = true
    state.photos.clear()
    state.order = []
    $('grid').replaceChildren()
    for (;;) {
      const { status: code, body } = await api(`/api/live/sessions/${sessionId}/photos?after=${after}&limit=100`)
      if (code !== 200) return code
      if (first) { state.lastSeq = body.data.seq; first = false }
      for (const photo of body.data.items) addPhoto(photo, false)
      if (body.data.items.length < 100) break
      after = body.data.nextAfter
    }
    render()
    return 200
  }

  async function start() {
    show('message', false)
    const { status: code, body } = await api(`/api/live/sessions/${sessionId}`)
    if (code === 401) {
      state.token = null
      localStorage.removeItem(storageKey)
      // Open sessions hand out viewer tokens without a code.
      const open = await api(`/api/live/sessions/${sessionId}/verify`, { method: 'POST', body: JSON.stringify({ deviceId }) })
      if (open.status === 200) return enter(open.body.data)
      show('gate', true)
      $('code').focus()
      status('Locked')
      return
    }
    if (code === 410) return message('This event has ended. Thank you for watching!')
    if (code === 404) return message('This event does not exist.')
    if (code !== 200) return message('Something went wrong. Please reload the page.')
    $('title').textContent = body.data.session.title
    document.title = body.data.session.title
    show('gate', false)
    show('wall-toggle', true)
    const loaded = await loadPhotos()
    if (loaded !== 200) return message('Could not load the photos. Please reload the page.')
    connect()
    if (state.wall) startWall()
  }

  /** @param {{ viewerToken: string }} data the answer of POST /verify */
  function enter(data) {
    state.token = data.viewerToken
    localStorage.setItem(storageKey, data.viewerToken)
    start()
  }

  $('code-form').addEventListener('submit', async (e) => {
    e.preventDefault()
    $('code-error').textContent = ''
    const accessCode = /** @type {HTMLInputElement} */ ($('code')).value.trim()
    const { status: code, body } = await api(`/api/live/sessions/${sessionId}/verify`, { method: 'POST', body: JSON.stringify({ accessCode, deviceId }) })
    if (code === 200) return enter(body.data)
    $('code-error').textContent = code === 429 ? 'Too many tries. Please wait a few minutes.' : code === 410 ? 'This event has ended.' : 'That code is not right.'
  })

  // Lightbox
  /** @param {string} id */
  function openLightbox(id) {
    state.open = state.order.indexOf(id)
    if (state.open < 0) return
    const photo = known(id)
    $img('lb-img').src = photo.previewUrl
    $img('lb-img').alt = photo.caption || 'Photo'
    $('lb-caption').textContent = photo.caption || ''
    $('lb-likes').textContent = String(photo.likeCount)
    const dl = /** @type {HTMLAnchorElement} */ ($('lb-download'))
    dl.hidden = !photo.downloadUrl
    if (photo.downloadUrl) dl.href = photo.downloadUrl
    show('lightbox', true)
    $('lb-close').focus()
    api(`/api/live/photos/${photo.id}`).catch(() => {})
  }
  function closeLightbox() { state.open = -1; show('lightbox', false) }
  /** @param {number} delta */
  function step(delta) {
    if (state.open < 0 || state.order.length === 0) return
    openLightbox(state.order[(state.open + delta + state.order.length) % state.order.length])
  }
  $('lb-close').addEventListener('click', closeLightbox)
  $('lb-prev').addEventListener('click', () => step(-1))
  $('lb-next').addEventListener('click', () => step(1))
  $('lb-like').addEventListener('click', async () => {
    const id = state.order[state.open]
    const { status: code, body } = await api(`/api/live/photos/${id}/like`, { method: 'POST' })
    if (code === 200) { $('lb-likes').textContent = String(body.data.likeCount); known(id).likeCount = body.data.likeCount }
  })
  document.addEventListener('keydown', (e) => {
    if (!$('lightbox').hidden) {
      if (e.key === 'Escape') closeLightbox()
      if (e.key === 'ArrowLeft') step(-1)
      if (e.key === 'ArrowRight') step(1)
    } else if (state.wall && e.key === 'Escape') stopWall()
  })

  // Photo wall: newest photo large, then cycles through the recent ones.
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let wallTimer
  let wallIndex = 0
  /** @param {LivePhoto} photo */
  function showOnWall(photo) {
    $img('wall-img').src = photo.previewUrl
    $img('wall-img').alt = photo.caption || 'Photo'
    $('wall-caption').textContent = photo.caption || ''
    wallIndex = 0
  }
  function startWall() {
    state.wall = true
    show('wall', true)
    if (state.order.length) showOnWall(known(state.order[0]))
    clearInterval(wallTimer)
    wallTimer = setInterval(() => {
      if (state.order.length === 0) return
      wallIndex = (wallIndex + 1) % Math.min(state.order.length, 30)
      const photo = known(state.order[wallIndex])
      $img('wall-img').src = photo.previewUrl
      $('wall-caption').textContent = photo.caption || ''
    }, 6000)
    document.documentElement.requestFullscreen?.().catch(() => {})
  }
  function stopWall() { state.wall = false; clearInterval(wallTimer); show('wall', false) }
  $('wall-toggle').addEventListener('click', startWall)
  $('wall').addEventListener('click', stopWall)

  start()
})()
