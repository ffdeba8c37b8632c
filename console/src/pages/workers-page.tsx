// Workers page: a placeholder on the console's scaffold, which the pages stream replaces.
export default function WorkersPage() {
  return <h1>Workers</h1>;
}
