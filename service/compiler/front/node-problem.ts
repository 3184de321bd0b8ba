/**
 * NodeProblem: thrown by a lowering when one node cannot be imported. The importer catches it,
 * records the node, and carries on so that a single UnsupportedModelError lists every problem.
 */
export class NodeProblem extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'NodeProblem'
  }
}
