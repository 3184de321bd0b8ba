/**
 * `node scripts/refresh-compiled-fields.ts [models]`: after a change of the lowering (not of the
 * parameters), re-lowers every models/<id>/ with its compile.json options and pinned parameters and
 * writes back what follows from the plan: card.json's HE fields and layouts (Galois steps, op
 * counts, reasons) and compile.json's lowering reasons. The parameters, the calibration-derived
 * reasons and every measured figure of the card stay as they are; a model whose parameters would
 * change is refused (run `privinfer import` again for that).
 */
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compileModel } from '../service/compiler/compile.ts'
import { withCompiledFields } from '../service/models/he-card.ts'

const modelsDir = process.argv[2] ?? 'models'
for (const id of (await readdir(modelsDir)).sort()) {
  const dir = join(modelsDir, id)
  const cardText = await readFile(join(dir, 'card.json'), 'utf8').catch(() => undefined)
  if (cardText === undefined) continue
  const card = JSON.parse(cardText)
  const record = JSON.parse(await readFile(join(dir, 'compile.json'), 'utf8'))
  const onnx = new Uint8Array(await readFile(join(dir, card.onnxFile)))
  const compiled = compileModel(onnx, { ...record.options, parameters: record.parameters })
  if (JSON.stringify(compiled.parameters) !== JSON.stringify(record.parameters))
    throw new Error(`${id}: the parameters would change; run privinfer import again`)
  // Lowering reasons name a layer ("fc2/Gemm: ..."); the others (calibration, ring, chain) stay.
  const isLowering = (reason: string) =>
    /^[^ ]+\/[A-Za-z]+: /.test(reason) || reason.startsWith('Galois steps')
  const lowering = compiled.reasons.filter(isLowering)
  const kept = (record.reasons as string[]).filter((reason) => !isLowering(reason))
  record.reasons = [...kept, ...lowering]
  compiled.reasons = record.reasons
  const refreshed = withCompiledFields(card, compiled, card.he.encryptionParametersBase64)
  await writeFile(join(dir, 'card.json'), JSON.stringify(refreshed, null, 2) + '\n')
  await writeFile(join(dir, 'compile.json'), JSON.stringify(record, null, 2) + '\n')
  process.stdout.write(`${id}: Galois steps ${compiled.galoisSteps.join(', ')}\n`)
}
