// Overview page: a placeholder on the console's scaffold, which the pages stream replaces.
export default function OverviewPage() {
  return <h1>Overview</h1>;
}
