/**
 * A held-out image of a model's public test split, as GET /v1/models/{id}/test-image returns it
 * (service/models/test-images.ts makes it, client/service-api.ts reads it). Public data.
 */
export interface TestImage {
  modelId: string
  dataset: string
  /** Row of the dataset's test split (the model folder's test-indices numbering). */
  row: number
  label: number
  labelName: string
  width: number
  height: number
  /** width * height intensities in [0, 1], row-major (card.input.rawSize values). */
  pixels: number[]
}
