#!/usr/bin/env node
// npm run lint:cycles: no import cycles, at two levels (issue 9's definition of done).
// 1. ../shared/tools/folder-cycles.mjs src: two-way *value* imports between feature folders and
//    top-level areas of src/ (it prints the cycles and a count, and always exits 0: we judge the count).
// 2. madge --circular (.madgerc: TypeScript, tsconfig paths, type-only imports included): file cycles.
// Exits 1 when either finds a cycle, 2 when a tool cannot run.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
process.chdir(root)
let failed = false

const folderTool = join(root, '../shared/tools/folder-cycles.mjs')
if (!existsSync(folderTool)) {
  console.error(`lint:cycles: ${folderTool} not found (the repository expects shared/ beside it)`)
  process.exit(2)
}
console.log('== folder cycles (node ../shared/tools/folder-cycles.mjs src)')
const folders = spawnSync(process.execPath, [folderTool, 'src'], { encoding: 'utf8' })
process.stdout.write(folders.stdout)
process.stderr.write(folders.stderr)
const count = folders.stdout.match(/^(\d+) two-way folder cycles$/m)
if (folders.status !== 0 || !count) {
  console.error('lint:cycles: folder-cycles did not run or printed no count')
  process.exit(2)
}
if (Number(count[1]) > 0) failed = true

console.log('\n== file cycles (madge --circular src, settings in .madgerc)')
const madge = spawnSync('madge', ['--circular', '--no-spinner', '--extensions', 'ts', 'src'], { stdio: 'inherit' })
if (madge.error || madge.status === null) {
  console.error(`lint:cycles: madge did not run: ${madge.error?.message ?? madge.signal}`)
  process.exit(2)
}
if (madge.status !== 0) failed = true

if (failed) {
  console.error('\nlint:cycles FAILED: import cycles found (above)')
  process.exitCode = 1
} else {
  console.log('\nlint:cycles: no folder or file cycles')
}
