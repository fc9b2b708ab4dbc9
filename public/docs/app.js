// Renders the OpenAPI 3.1 document of this server. No dependencies, no third-party hosts.
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  for (const child of children.flat()) if (child != null) node.append(child)
  return node
}

function resolve(doc, schema) {
  if (schema && schema.$ref) {
    const name = schema.$ref.split('/').pop()
    return { name, schema: doc.components?.schemas?.[name] ?? {} }
  }
  return { name: null, schema: schema ?? {} }
}

/** A compact TypeScript-like outline of a JSON schema. */
function outline(doc, schema, depth = 0, seen = new Set()) {
  const { name, schema: s } = resolve(doc, schema)
  if (name && seen.has(name)) return name
  const next = new Set(seen)
  if (name) next.add(name)
  const pad = '  '.repeat(depth + 1)
  const alts = s.anyOf ?? s.oneOf
  if (alts) return alts.map((a) => outline(doc, a, depth, next)).join(' | ')
  if (s.allOf) return s.allOf.map((a) => outline(doc, a, depth, next)).join(' & ')
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ')
  if (s.const !== undefined) return JSON.stringify(s.const)
  const type = Array.isArray(s.type) ? s.type.filter((t) => t !== 'null') [0] : s.type
  const nullable = Array.isArray(s.type) && s.type.includes('null') ? ' | null' : ''
  if (type === 'array') return `${outline(doc, s.items, depth, next)}[]${nullable}`
  if (type === 'object' || s.properties) {
    const required = new Set(s.required ?? [])
    const lines = Object.entries(s.properties ?? {}).map(([key, value]) => {
      const v = resolve(doc, value).schema
      const note = [v.description, v.minimum !== undefined && `min ${v.minimum}`, v.maximum !== undefined && `max ${v.maximum}`,
        v.minLength !== undefined && `minLength ${v.minLength}`, v.maxLength !== undefined && `maxLength ${v.maxLength}`, v.format]
        .filter(Boolean).join(', ')
      return `${pad}${key}${required.has(key) ? '' : '?'}: ${outline(doc, value, depth + 1, next)}${note ? `  // ${note}` : ''}`
    })
    return lines.length ? `{\n${lines.join('\n')}\n${'  '.repeat(depth)}}${nullable}` : `object${nullable}`
  }
  return `${type ?? 'any'}${s.format ? `<${s.format}>` : ''}${nullable}`
}

function content(doc, c) {
  return Object.entries(c ?? {}).map(([type, media]) =>
    el('div', {}, el('div', { class: 'summary' }, type), el('pre', {}, outline(doc, media.schema))))
}

function operation(doc, path, method, op) {
  const params = (op.parameters ?? []).map((p) => el('tr', {},
    el('td', {}, el('code', {}, p.name)), el('td', {}, p.in), el('td', {}, p.required ? 'required' : 'optional'),
    el('td', {}, outline(doc, p.schema)), el('td', {}, p.description ?? '')))
  const responses = Object.entries(op.responses ?? {}).map(([status, r]) =>
    el('div', {}, el('strong', {}, status), ' ', r.description ?? '', ...content(doc, r.content)))
  return el('details', { class: 'op', 'data-search': `${method} ${path} ${op.summary ?? ''} ${(op.tags ?? []).join(' ')}`.toLowerCase() },
    el('summary', {}, el('span', { class: `method ${method}` }, method.toUpperCase()), el('span', { class: 'path' }, path),
      el('span', { class: 'summary' }, op.summary ?? ''), op.security?.length ? el('span', { class: 'lock' }, '🔒 bearer') : null),
    el('div', { class: 'body' },
      op.description ? el('p', {}, op.description) : null,
      params.length ? el('table', {}, el('tr', {}, ...['name', 'in', '', 'type', 'notes'].map((h) => el('th', {}, h))), ...params) : null,
      op.requestBody ? el('div', {}, el('h4', {}, 'Request body'), ...content(doc, op.requestBody.content)) : null,
      el('h4', {}, 'Responses'), ...responses))
}

async function main() {
  const doc = await (await fetch('/openapi.json')).json()
  document.getElementById('description').textContent = doc.info?.description ?? ''
  const groups = new Map()
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags?.[0] ?? 'Other'
      if (!groups.has(tag)) groups.set(tag, [])
      groups.get(tag).push(operation(doc, path, method, op))
    }
  }
  const main = document.getElementById('routes')
  const toc = document.getElementById('toc')
  for (const [tag, ops] of groups) {
    const id = `tag-${tag.toLowerCase().replace(/\W+/g, '-')}`
    toc.append(el('a', { href: `#${id}` }, `${tag} (${ops.length})`))
    main.append(el('section', {}, el('h2', { id }, tag), ...ops))
  }
  document.getElementById('filter').addEventListener('input', (event) => {
    const q = event.target.value.trim().toLowerCase()
    for (const op of main.querySelectorAll('details.op')) op.hidden = q !== '' && !op.dataset.search.includes(q)
  })
}
main().catch((error) => { document.getElementById('description').textContent = `Could not load /openapi.json: ${error}` })
