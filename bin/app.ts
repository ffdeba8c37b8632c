// The CDK app entry point (`cdk synth`, `cdk deploy`; cdk.json runs it with tsx). A bad setting (context)
// is one `stepwise:` line naming it and exit code 1, as on `npm start`; anything else is a bug: a stack trace.
import { ConfigurationError } from '../functions/shared/config';
import { buildApp } from '../lib/app';

try {
  buildApp().app.synth();
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`stepwise: ${error.message}`);
  process.exit(1);
}
