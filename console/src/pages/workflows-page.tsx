// Workflows page: a placeholder on the console's scaffold, which the pages stream replaces.
export default function WorkflowsPage() {
  return <h1>Workflows</h1>;
}
