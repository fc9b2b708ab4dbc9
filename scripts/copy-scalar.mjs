#!/usr/bin/env node
// Copies the Scalar API reference bundle from node_modules into the Worker's static assets
// (public/docs/scalar.js, git-ignored), so /docs works offline and loads nothing from a CDN.
// Runs on `npm install`/`npm ci` (postinstall) and before `npm run dev`; idempotent.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const pkg = join(root, 'node_modules/@scalar/api-reference')
const source = join(pkg, 'dist/browser/standalone.js')
if (!existsSync(source)) {
  console.error(
    existsSync(pkg)
      ? `copy-scalar: ${source} is missing; the @scalar/api-reference package layout changed`
      : 'copy-scalar: @scalar/api-reference is not installed; run `npm install`',
  )
  process.exit(1)
}
const target = join(root, 'public/docs/scalar.js')
const same = existsSync(target) && statSync(target).size === statSync(source).size && readFileSync(target).equals(readFileSync(source))
if (!same) {
  mkdirSync(dirname(target), { recursive: true })
  copyFileSync(source, target)
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
  console.log(`copy-scalar: public/docs/scalar.js from @scalar/api-reference ${version}`)
}
