// Demo works for local development: a handful of small generated pictures, published in the
// gallery, so `npm run dev` shows the works side with something in it. Written once: skipped
// when the demo works exist. Each picture is a 256×256 PNG gradient (original, preview and
// thumbnail share one R2 object, as the server does for pictures that fit the thumbnail box).
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'

const SIDE = 256

function crc32(bytes) {
  let c = ~0
  for (const b of bytes) {
    c ^= b
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1))
  }
  return ~c >>> 0
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'latin1')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

/** A PNG fading from colour `a` (top left) to `b` (bottom right). */
function gradientPng(a, b) {
  const raw = Buffer.alloc(SIDE * (1 + SIDE * 3))
  for (let y = 0; y < SIDE; y++) {
    const row = y * (1 + SIDE * 3)
    for (let x = 0; x < SIDE; x++) {
      const t = (x + y) / (2 * (SIDE - 1))
      for (let ch = 0; ch < 3; ch++) raw[row + 1 + x * 3 + ch] = Math.round(a[ch] + (b[ch] - a[ch]) * t)
    }
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(SIDE, 0)
  header.writeUInt32BE(SIDE, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const DEMO = [
  ['usr_demo_user', 'Harbour at dawn', 'a quiet harbour at dawn, fog, film photo', ['harbour', 'fog'], 'landscape', [40, 70, 120], [250, 200, 150]],
  ['usr_demo_user', '海边的日落', '海边的日落，暖色调，胶片风格', ['日落', '海边'], 'landscape', [250, 120, 60], [60, 30, 90]],
  ['usr_demo_user', 'Neon alley', 'a rainy neon alley at night, cinematic', ['city', 'night'], 'street', [20, 10, 60], [230, 40, 160]],
  ['usr_demo_admin', 'Forest light', 'sun rays through a pine forest, morning mist', ['forest'], 'landscape', [20, 60, 30], [200, 230, 140]],
  ['usr_demo_admin', 'Studio portrait', 'studio portrait, soft key light, 85mm', ['portrait'], 'portrait', [30, 30, 30], [210, 190, 170]],
  ['usr_demo_admin', 'Desert dunes', 'sand dunes under a clear sky, wide angle', ['desert'], 'landscape', [230, 180, 110], [90, 140, 210]],
]

/** Statements and R2 uploads that create the demo works (run by dev-setup when they are missing). */
export function seedDemoWorks({ wrangler, q, now, dir }) {
  const exists = execFileSync(
    'wrangler',
    ['d1', 'execute', 'DB', '--local', '--json', '--command', "SELECT COUNT(*) AS n FROM works WHERE id LIKE 'wrk_demo_%'"],
    { encoding: 'utf8', env: { ...process.env, CI: '1' } },
  )
  if (/"n":\s*[1-9]/.test(exists)) return
  const statements = []
  DEMO.forEach(([userId, title, prompt, tags, category, a, b], index) => {
    const imageId = `img_demo_${index + 1}`
    const key = `images/${userId}/${imageId}/original.png`
    const png = gradientPng(a, b)
    const file = `${dir}/${imageId}.png`
    writeFileSync(file, png)
    wrangler('r2', 'object', 'put', `darkroom-media/${key}`, '--local', '--file', file, '--content-type', 'image/png')
    const at = now - (DEMO.length - index) * 3_600_000
    statements.push(
      `INSERT OR IGNORE INTO images (id, owner_id, type, mime, width, height, bytes, sha256, original_key, thumb_key, preview_key, preview_ready, ref_count, created_at, updated_at)
       VALUES (${q(imageId)}, ${q(userId)}, 'generated', 'image/png', ${SIDE}, ${SIDE}, ${png.length}, ${q(`demo-${index + 1}`)}, ${q(key)}, ${q(key)}, ${q(key)}, 1, 2, ${at}, ${at});`,
      `INSERT OR IGNORE INTO works (id, seq, user_id, image_id, title, prompt, tags, category, is_public, review_status, published_at, publish_version, created_at, updated_at)
       VALUES (${q(`wrk_demo_${index + 1}`)}, (SELECT COALESCE(MAX(seq), 0) + 1 FROM works), ${q(userId)}, ${q(imageId)}, ${q(title)}, ${q(prompt)}, ${q(JSON.stringify(tags))}, ${q(category)}, 1, 'approved', ${at}, 1, ${at}, ${at});`,
    )
  })
  return statements
}
