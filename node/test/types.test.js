'use strict'
// index.d.ts types every export: tsc checks a typed example against it, and
// every runtime export and class method is named in index.d.ts.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const sandvol = require('..')

const root = path.join(__dirname, '..')

test('tsc --noEmit accepts the typed example', () => {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  assert.ok(fs.existsSync(tsc), 'typescript is missing: run `make test-node` (npm ci in node/)')
  execFileSync(process.execPath, [tsc, '--noEmit', '-p', path.join(__dirname, 'tsconfig.json')], { stdio: 'inherit' })
})

test('index.d.ts names every runtime export and method', () => {
  const dts = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8')
  for (const name of Object.keys(sandvol)) {
    assert.match(dts, new RegExp(`export (const|class|function) ${name}\\b`), `export ${name} is not typed`)
  }
  for (const cls of ['Engine', 'Sandbox', 'FileHandle']) {
    const body = dts.slice(dts.indexOf(`export class ${cls} `))
    const block = body.slice(0, body.indexOf('\n}\n'))
    const proto = sandvol[cls].prototype
    for (const m of Object.getOwnPropertyNames(proto).filter(n => n !== 'constructor')) {
      assert.match(block, new RegExp(`\\n  (readonly )?${m}[(?:]`), `${cls}.${m} is not typed`)
    }
  }
  assert.match(dts, /static open\(/)
  for (const m of Object.keys(sandvol._private)) assert.match(dts, new RegExp(`readonly ${m}:`))
})
