// Alerts page: a placeholder on the console's scaffold, which the pages stream replaces.
export default function AlertsPage() {
  return <h1>Alerts</h1>;
}
