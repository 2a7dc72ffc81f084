'use strict'
// The package as a user gets it: `npm pack` of node/, installed (offline, it
// has no dependencies) into an empty project, then `require('sandvol')` and
// `import ... from 'sandvol'` by name from there, without this repository
// on the module path.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { tmpDir } = require('./helpers')

const PKG = path.join(__dirname, '..')
const NPM = process.env.NPM || 'npm'
const TSC = path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc')

function run (cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

test('npm pack of node/ installs into an empty project and works by name', () => {
  const work = tmpDir('install')
  const proj = path.join(work, 'app')
  fs.mkdirSync(proj)
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  const packed = JSON.parse(run(NPM, ['pack', '--json', '--pack-destination', work], PKG))
  const files = packed[0].files.map(f => f.path).sort()
  assert.deepEqual(files, ['README.md', 'index.d.ts', 'index.js', 'package.json', 'sandvol.node'])
  run(NPM, ['install', '--offline', '--no-audit', '--no-fund', path.join(work, packed[0].filename)], proj)
  const installed = path.join(proj, 'node_modules', 'sandvol')
  assert.ok(!fs.lstatSync(installed).isSymbolicLink(), 'the tarball is copied in, not linked')

  // The seed steps in a child process whose only sandvol is the installed copy.
  fs.writeFileSync(path.join(proj, 'app.js'), `
    const assert = require('node:assert/strict')
    const { Engine, MountRequest, version } = require('sandvol')
    assert.equal(require.resolve('sandvol'), require('node:path').join(__dirname, 'node_modules', 'sandvol', 'index.js'))
    ;(async () => {
      const engine = await Engine.open(process.argv[2])
      await engine.createVolume({ name: 'v', accessMode: 'RWX' })
      const sb = await engine.claimSandbox('t', { mounts: [new MountRequest('v', '/data')], waitForMounts: true })
      await sb.writeFile('/data/hello.txt', 'Hello, Volume!')
      const text = (await sb.readFile('/data/hello.txt')).toString()
      await sb.release()
      await engine.close()
      console.log(JSON.stringify({ version, text }))
    })().catch(e => { console.error(e); process.exit(1) })
  `)
  const out = JSON.parse(run(process.execPath, ['app.js', path.join(work, 'data')], proj))
  assert.deepEqual(out, { version: require('..').version, text: 'Hello, Volume!' })

  // TypeScript finds the types through the package's "types" field.
  fs.writeFileSync(path.join(proj, 'app.ts'), `
    import { Engine, type FileInfo } from 'sandvol'
    async function main (): Promise<FileInfo> {
      const engine: Engine = await Engine.open('./d')
      const sb = await engine.claimSandbox('t')
      return sb.writeFile('/x', 'y')
    }
    void main
  `)
  fs.writeFileSync(path.join(proj, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'commonjs', moduleResolution: 'node', types: ['node'], typeRoots: [path.join(PKG, 'node_modules', '@types')] },
    files: ['app.ts']
  }))
  run(process.execPath, [TSC, '--noEmit', '-p', 'tsconfig.json'], proj)
  // ... and would refuse a wrong use (so the check above is a real one).
  fs.writeFileSync(path.join(proj, 'app.ts'), "import { Engine } from 'sandvol'\nconst n: number = Engine.open('./d')\nvoid n\n")
  assert.throws(() => run(process.execPath, [TSC, '--noEmit', '-p', 'tsconfig.json'], proj), e => /TS2322/.test(e.stdout))
})
