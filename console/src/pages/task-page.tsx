export default function TaskPage({ id }: { id: string }) {
  return <h1>Task {id}</h1>;
}
