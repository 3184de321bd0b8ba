import { posix } from 'node:path'
import tseslint from 'typescript-eslint'

/**
 * Rooms and doors (docs/design.md, "Import rules"): each room lists the rooms it may import. Any other
 * room of this table is refused by `no-restricted-imports`, as are the packages listed under `not`.
 * A room's files are the .ts files below its folder that no deeper room owns; `service` is the
 * composition root (service/main.ts, service/config.ts). test/ and the repo's top-level files are
 * not rooms.
 */
const SERVICE_ROOMS = ['compiler', 'runtime', 'plain', 'keystore', 'models', 'pool', 'http'].map(
  (room) => `service/${room}`,
)

const ROOMS = {
  core: { may: [], not: ['express', 'onnxruntime-node', 'onnx-proto', 'multer', 'helmet'] },
  onnx: { may: ['core'], not: ['node-seal', 'express', 'onnxruntime-node'] },
  training: { may: ['core', 'onnx'], not: ['node-seal', 'express'] },
  client: { may: ['core'], not: ['express', 'onnxruntime-node', 'onnx-proto'] },
  web: { may: ['client', 'core'], not: ['express', 'onnxruntime-node'] },
  'service/compiler': {
    may: ['core', 'onnx'],
    not: ['node-seal', 'express', 'onnxruntime-node'],
    // The plan and its reference executor, which the runtime's backends build on: they import
    // nothing else of the compiler.
    closed: ['plan'],
  },
  'service/runtime': { may: ['core', 'service/compiler'], not: ['express', 'onnxruntime-node'] },
  'service/plain': { may: ['core', 'onnx'], not: ['node-seal', 'express'] },
  'service/keystore': { may: ['core'], not: ['express', 'onnxruntime-node'] },
  'service/models': {
    // training: the readers of the public test splits (training/data), for the test-image route.
    may: ['core', 'onnx', 'training', 'service/compiler', 'service/runtime', 'service/plain'],
    not: ['express'],
  },
  'service/pool': {
    may: ['core', 'service/compiler', 'service/runtime', 'service/models', 'service/keystore'],
    not: ['express', 'onnxruntime-node'],
  },
  'service/http': {
    may: ['core', 'service', 'service/pool', 'service/keystore'],
    not: ['node-seal', 'onnxruntime-node'],
  },
  // The composition root: service/main.ts and service/config.ts.
  service: { may: ['core', 'onnx', ...SERVICE_ROOMS], not: [] },
  // The product's bin: every room but the benches and the browser demo.
  cli: { may: ['core', 'onnx', 'client', 'training', 'service', ...SERVICE_ROOMS], not: [] },
  // Repository scripts (docs generators): the product's code, never the benches or the demo.
  scripts: { may: ['core', 'onnx', 'service', ...SERVICE_ROOMS], not: [] },
  // Benches may measure anything; nothing imports them.
  bench: { may: ['core', 'onnx', 'client', 'training', 'service', ...SERVICE_ROOMS], not: [] },
}

/** Folder depth below a room that the generated blocks cover (test/lint/rooms.test.ts checks it). */
const MAX_DEPTH = 6

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * A regex for every relative specifier that, written in a file of `fromDir`, names a file in
 * `room`: going up to each common ancestor and down again (`../plain/x.ts`, `../../service/plain/x.ts`).
 */
function relativePathsTo(fromDir, room) {
  const ways = []
  for (let up = fromDir; ; up = posix.dirname(up)) {
    const ancestor = up === '.' ? '' : `${up}/`
    if (room.startsWith(ancestor)) {
      const climbs = posix.relative(fromDir, up || '.')
      const prefix = climbs === '' ? '\\./' : `${escape(climbs)}/`
      ways.push(`${prefix}${escape(room.slice(ancestor.length))}`)
    }
    if (up === '.') break
  }
  // A room with rooms inside (service/) owns only the files directly in its folder.
  const hasInnerRooms = Object.keys(ROOMS).some((other) => other.startsWith(`${room}/`))
  return `^(?:${ways.join('|')})${hasInnerRooms ? '/[^/]+$' : '(?:/|$)'}`
}

/**
 * The ESLint blocks of one room: one per folder depth, since relative specifiers depend on it. A
 * `closed` folder of the room (directly below it) may not import the rest of the room either.
 */
function roomBlocks(room, { may, not, closed = [] }) {
  const owners = Object.keys(ROOMS).filter((other) => other.startsWith(`${room}/`))
  const refused = Object.keys(ROOMS).filter(
    (other) => other !== room && !may.includes(other) && !other.startsWith(`${room}/`),
  )
  const blocks = []
  for (let depth = 0; depth <= (room === 'service' ? 0 : MAX_DEPTH); depth++) {
    const dir = [room, ...Array.from({ length: depth }, (_, i) => `d${i}`)].join('/')
    const patterns = refused.map((other) => ({
      regex: relativePathsTo(dir, other),
      message: `${room}/ may not import ${other}/ (rooms and doors: docs/design.md)`,
    }))
    if (not.length > 0)
      patterns.push({
        group: not,
        message: `${room}/ may not import this package (rooms and doors: docs/design.md)`,
      })
    blocks.push({
      files: [`${room}/${'*/'.repeat(depth)}*.ts`],
      ignores: owners.map((owner) => `${owner}/**`),
      rules: { 'no-restricted-imports': ['error', { patterns }] },
    })
    if (depth !== 1) continue
    for (const folder of closed) {
      const leavesFolder = {
        regex: '^\\.\\./(?!\\.\\./)',
        message: `${room}/${folder}/ may not import the rest of ${room}/ (docs/design.md)`,
      }
      blocks.push({
        files: [`${room}/${folder}/*.ts`],
        rules: { 'no-restricted-imports': ['error', { patterns: [...patterns, leavesFolder] }] },
      })
    }
  }
  return blocks
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'models/**', 'bench/results/**', 'web/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  ...Object.entries(ROOMS).flatMap(([room, rule]) => roomBlocks(room, rule)),
)
