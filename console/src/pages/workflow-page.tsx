// One workflow's page: a placeholder on the console's scaffold, which the pages stream replaces.
export default function WorkflowPage({ id }: { id: string }) {
  return <h1>Workflow {id}</h1>;
}
